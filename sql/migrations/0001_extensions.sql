-- Extensions every later migration may rely on.
-- btree_gist lets exclusion constraints combine equality (technician, van) with range overlap (booking windows).
CREATE EXTENSION IF NOT EXISTS btree_gist;
