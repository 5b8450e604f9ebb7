#ifndef TRUCKROLL_CLIBPQ_SHIM_H
#define TRUCKROLL_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
