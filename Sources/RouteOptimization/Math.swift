#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Natural logarithm (C library), kept here so that search files need no platform imports.
@inline(__always)
func naturalLogarithm(_ value: Double) -> Double { log(value) }

/// `base` raised to `exponent` (C library).
@inline(__always)
func power(_ base: Double, _ exponent: Double) -> Double { pow(base, exponent) }
