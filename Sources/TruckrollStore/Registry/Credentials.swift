import Crypto
import FoundationEssentials
import HummingbirdBcrypt
import NIOPosix

/// Passwords are kept as bcrypt hashes (cost 11, about 0.1 s of CPU to check here: slow for guessing, fine for signing
/// in). Hashing runs on NIO's thread pool for blocking work, never on Swift's cooperative pool, where each hash would
/// hold one of the few threads every request of the process shares (a test run of sign-ins on two cores stalled
/// pool timers for seconds).
enum PasswordHash {
    static let cost: UInt8 = 11

    static func make(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    static func matches(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

/// An API token's secret: 256 random bits, shown to its owner once; only its SHA-256 is stored.
public struct TokenSecret: Sendable, CustomStringConvertible {
    /// The secret as the client sends it: `trk_` and 43 base64url characters.
    public let value: String

    /// A new random secret (from the system's cryptographic generator).
    public static func generate() -> TokenSecret {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        // base64url without padding (RFC 4648 §5): safe in headers, URLs and shells.
        let encoded = String(Data(bytes).base64EncodedString().compactMap { character -> Character? in
            switch character {
            case "+": "-"
            case "/": "_"
            case "=": nil
            default: character
            }
        })
        return TokenSecret(value: "trk_" + encoded)
    }

    /// Wraps a secret received from a client.
    public init(value: String) {
        self.value = value
    }

    /// What the database keeps.
    var sha256: Data { Data(SHA256.hash(data: Data(value.utf8))) }

    /// Enough of the secret to recognise it in a list, not to use it.
    var prefix: String { String(value.prefix(8)) }

    /// Never the secret itself, so that it cannot reach a log by interpolation.
    public var description: String { "TokenSecret(\(prefix)…)" }
}

/// SHA-256 of some bytes, e.g. an idempotent request's method, path and body.
public func sha256Digest(_ bytes: some Sequence<UInt8>) -> [UInt8] {
    Array(SHA256.hash(data: Array(bytes)))
}

