import CLibPQ
#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Transaction isolation levels.
public enum PGIsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// One open connection to PostgreSQL.
///
/// Every libpq call runs on the connection's own thread (a ``ConnectionThread``), never on Swift's cooperative
/// pool; inside ``withConnection(configuration:logger:_:)`` or a pool lease the caller's code runs on that thread
/// too, so statements cost no thread hop.
///
/// A connection is used by one task at a time: the pool lends it to exactly one `withConnection` closure, and each
/// method awaits its thread-pool job before returning, so calls on the handle never overlap. Do not keep a
/// connection beyond the closure that received it.
public final class PGConnection: @unchecked Sendable {
    // @unchecked: `handle` and `preparedStatements` are touched only by the single task that holds the connection
    // (see the type's documentation), on the connection's thread; the canceller guards its own state.
    private let handle: OpaquePointer
    private let canceller: StatementCanceller
    /// Runs every libpq call of this connection.
    let thread: ConnectionThread
    private let noticeSink: Unmanaged<NoticeSink>
    private var preparedStatements: [String: String] = [:]
    /// Numbers statement names; never reused on this connection, even after `DEALLOCATE ALL`.
    private var preparedStatementsCreated = 0
    private var isClosed = false
    /// See ``PGConnectionConfiguration/cachesPreparedStatements``.
    private let cachesPreparedStatements: Bool
    let logger: Logger

    /// Prepared statements kept per connection before the cache is cleared.
    static let preparedStatementLimit = 256

    private init(handle: OpaquePointer, thread: ConnectionThread, cachesPreparedStatements: Bool, logger: Logger) {
        self.handle = handle
        self.cachesPreparedStatements = cachesPreparedStatements
        self.canceller = StatementCanceller(handle: PQgetCancel(handle))
        self.thread = thread
        self.logger = logger
        self.noticeSink = Unmanaged.passRetained(NoticeSink(logger: logger))
        PQsetNoticeProcessor(handle, { context, message in
            guard let context, let message else { return }
            let sink = Unmanaged<NoticeSink>.fromOpaque(context).takeUnretainedValue()
            sink.logger.debug("postgres notice", metadata: ["db.notice": "\(String(cString: message).trimmingTrailingNewlines())"])
        }, noticeSink.toOpaque())
    }

    deinit {
        guard !isClosed else { return }
        // A safety net, not the normal path: whoever opened the connection should have closed it.
        logger.warning("database connection leaked; closed on deinit", metadata: ["db.backend_pid": "\(PQbackendPID(handle))"])
        canceller.close()
        PQfinish(handle)
        noticeSink.release()
        thread.stop()
    }

    /// Opens a connection, on a thread of its own.
    /// - Parameters:
    ///   - configuration: Where to connect.
    ///   - logger: Receives connection events and server notices at `.debug`.
    /// - Returns: An open connection; call ``close()`` when done.
    /// - Throws: ``PGError`` of kind `.connectionFailed` with libpq's reason (never the password).
    public static func connect(
        configuration: PGConnectionConfiguration,
        logger: Logger = Logger(label: "truckroll.libpq", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> PGConnection {
        let parameters = configuration.parameters
        let thread = ConnectionThread()
        let opened: UncheckedHandle
        do {
            opened = try await thread.run {
                let connection = withCStringArray(parameters.map(\.keyword)) { keywords in
                    withCStringArray(parameters.map(\.value)) { values in
                        PQconnectdbParams(keywords, values, 1)
                    }
                }
                guard let connection else {
                    throw PGError(kind: .connectionFailed, message: "out of memory while connecting")
                }
                guard PQstatus(connection) == CONNECTION_OK else {
                    let message = String(cString: PQerrorMessage(connection)).singleLine()
                    PQfinish(connection)
                    throw PGError(kind: .connectionFailed, message: message)
                }
                return UncheckedHandle(pointer: connection)
            }
        } catch {
            thread.stop()
            throw error
        }
        let handle = opened.pointer
        let connection = PGConnection(
            handle: handle, thread: thread, cachesPreparedStatements: configuration.cachesPreparedStatements, logger: logger
        )
        if connection.parameterStatus("DateStyle")?.hasPrefix("ISO") != true {
            do {
                try await connection.executeSimple("SET DateStyle = 'ISO, YMD'")
            } catch {
                await connection.close()
                throw error
            }
        }
        logger.debug("database connected", metadata: ["db.backend_pid": "\(PQbackendPID(handle))"])
        return connection
    }

    /// Opens a connection, lends it to `body`, and closes it whatever happens.
    /// - Parameters:
    ///   - configuration: Where to connect.
    ///   - logger: Receives connection events.
    ///   - body: The work; it must not keep the connection.
    /// - Returns: What `body` returned.
    public static func withConnection<Result>(
        configuration: PGConnectionConfiguration,
        logger: Logger = Logger(label: "truckroll.libpq", factory: { _ in SwiftLogNoOpLogHandler() }),
        _ body: (PGConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect(configuration: configuration, logger: logger)
        do {
            let result = try await connection.onItsThread(body)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    /// Runs `body` with this connection, preferring the connection's thread as executor so that its statements
    /// need no thread hop.
    func onItsThread<Result>(_ body: (PGConnection) async throws -> Result) async throws -> Result {
        try await withTaskExecutorPreference(thread) { try await body(self) }
    }

    /// Closes the connection. Safe to call more than once.
    public func close() async {
        guard !isClosed else { return }
        isClosed = true
        canceller.close()
        _ = try? await thread.run { [self] in PQfinish(handle) }
        noticeSink.release()
        thread.stop()
    }

    /// Whether the connection looks usable: open, not broken, not inside a transaction, and never sent a cancel.
    ///
    /// Reads whatever the server has sent without blocking, so a connection that the server terminated while it
    /// sat idle (restart, `pg_terminate_backend`) is recognised here rather than on the next query. A cancel
    /// request travels on a connection of its own and can reach the server after the statement it was meant for
    /// has ended; it would then cancel whatever runs next on this connection, so the connection is not reused.
    public var isReusable: Bool {
        guard !isClosed, !canceller.wasSent, PQstatus(handle) == CONNECTION_OK, PQtransactionStatus(handle) == PQTRANS_IDLE else {
            return false
        }
        // An idle connection has nothing to read unless the server said goodbye (a FATAL message, then end of
        // stream) or sent an unsolicited message; either way a fresh connection is the safe choice.
        var descriptor = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// The server's process id for this connection (for `pg_terminate_backend`, `pg_cancel_backend`).
    public var backendPID: Int { Int(PQbackendPID(handle)) }

    /// A run-time parameter the server reported (`server_version`, `TimeZone`, …).
    public func parameterStatus(_ name: String) -> String? {
        PQparameterStatus(handle, name).map { String(cString: $0) }
    }

    // MARK: Statements

    /// Runs a statement and returns its rows.
    ///
    /// The statement is prepared on first use and its plan reused on this connection, unless the configuration
    /// turned ``PGConnectionConfiguration/cachesPreparedStatements`` off.
    /// - Throws: ``PGError``; cancelling the task cancels the statement on the server.
    @discardableResult
    public func query(_ query: PGQuery) async throws -> PGRows {
        let (sql, binds) = query.render()
        logger.trace("database query", metadata: ["db.statement": "\(sql)"])
        return try await runCancellable { connection in
            try connection.runPrepared(sql: sql, binds: binds)
        }
    }

    /// Runs a statement and returns the number of rows it affected.
    @discardableResult
    public func execute(_ query: PGQuery) async throws -> Int {
        try await self.query(query).affectedRows
    }

    /// Runs trusted SQL text that may contain several statements (migration files), with no parameters.
    /// - Parameter sql: The script; it is not escaped or checked, so never pass user input.
    public func unsafeExecuteScript(_ sql: String) async throws {
        logger.trace("database script", metadata: ["db.bytes": "\(sql.utf8.count)"])
        try await executeSimple(sql)
    }

    /// Runs `body` in a transaction: commits when it returns, rolls back when it throws.
    /// - Parameters:
    ///   - isolation: The isolation level.
    ///   - readOnly: Starts a `READ ONLY` transaction.
    ///   - body: The work; it receives this connection.
    /// - Returns: What `body` returned.
    /// - Throws: What `body` threw, or the `COMMIT` failure (for example 40001 under `SERIALIZABLE`).
    @discardableResult
    public func withTransaction<Result>(
        isolation: PGIsolationLevel = .readCommitted,
        readOnly: Bool = false,
        _ body: (PGConnection) async throws -> Result
    ) async throws -> Result {
        try await executeSimple("BEGIN ISOLATION LEVEL \(isolation.rawValue)\(readOnly ? " READ ONLY" : "")")
        let result: Result
        do {
            result = try await body(self)
        } catch {
            if !isClosed, PQstatus(handle) == CONNECTION_OK {
                try? await executeSimple("ROLLBACK")
            }
            throw error
        }
        try await executeSimple("COMMIT")
        return result
    }

    /// Runs SQL through the simple-query protocol (no parameters, several statements allowed).
    func executeSimple(_ sql: String) async throws {
        try await runCancellable { connection in
            let result = PQexec(connection.handle, sql)
            defer { PQclear(result) }
            try connection.check(result)
        }
    }

    // MARK: COPY

    /// Loads rows with `COPY … FROM STDIN` (text format), streaming them in chunks.
    /// - Parameters:
    ///   - table: Table name (quoted as an identifier).
    ///   - columns: Column names, in the order of each row's values.
    ///   - rows: The rows; each must have one value per column.
    /// - Returns: The number of rows loaded.
    /// - Throws: ``PGError``; on failure nothing is loaded (the server aborts the `COPY`).
    @discardableResult
    public func copyIn<Rows: Sequence>(
        table: String, columns: [String], rows: Rows
    ) async throws -> Int where Rows.Element == [any PGEncodable] {
        let columnList = columns.map(PGQuery.quoteIdentifier).joined(separator: ", ")
        let statement = "COPY \(PGQuery.quoteIdentifier(table)) (\(columnList)) FROM STDIN"
        try await thread.run { [self] in
            let result = PQexec(handle, statement)
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COPY_IN else {
                try check(result)
                throw PGError(kind: .copyFailed, message: "server did not enter COPY IN mode")
            }
        }
        var chunk = PGCopyText()
        var failure: (any Error)?
        for row in rows {
            guard row.count == columns.count else {
                failure = PGError(
                    kind: .copyFailed, message: "a COPY row has \(row.count) values for \(columns.count) columns"
                )
                break
            }
            chunk.append(row: row)
            if chunk.bytes.count >= PGCopyText.chunkSize {
                let bytes = chunk.bytes
                chunk.bytes.removeAll(keepingCapacity: true)
                do { try await send(copyData: bytes) } catch { failure = error; break }
            }
        }
        if failure == nil, !chunk.bytes.isEmpty {
            do { try await send(copyData: chunk.bytes) } catch { failure = error }
        }
        let abortReason = failure.map { _ in "client aborted COPY" }
        let loaded: Int = try await thread.run { [self] in
            let ended = abortReason.map { PQputCopyEnd(handle, $0) } ?? PQputCopyEnd(handle, nil)
            guard ended == 1 else { throw connectionError() }
            var affected = 0
            var serverError: (any Error)?
            while let result = PQgetResult(handle) {
                defer { PQclear(result) }
                do {
                    try check(result)
                    affected = Int(String(cString: PQcmdTuples(result))) ?? 0
                } catch {
                    serverError = serverError ?? error
                }
            }
            if let serverError, abortReason == nil { throw serverError }
            return affected
        }
        if let failure { throw failure }
        return loaded
    }

    /// Runs `COPY … TO STDOUT` and returns everything the server sent.
    /// - Parameter statement: The `COPY` statement.
    /// - Returns: The data in the statement's format (text by default).
    public func copyOut(_ statement: PGQuery) async throws -> [UInt8] {
        let (sql, binds) = statement.render()
        guard binds.isEmpty else { throw PGError(kind: .copyFailed, message: "COPY cannot take bound values") }
        return try await runCancellable { connection in
            let result = PQexec(connection.handle, sql)
            defer { PQclear(result) }
            guard PQresultStatus(result) == PGRES_COPY_OUT else {
                try connection.check(result)
                throw PGError(kind: .copyFailed, message: "server did not enter COPY OUT mode")
            }
            var bytes: [UInt8] = []
            while true {
                var buffer: UnsafeMutablePointer<CChar>?
                let length = PQgetCopyData(connection.handle, &buffer, 0)
                if length > 0, let buffer {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: buffer, count: Int(length)))
                    PQfreemem(buffer)
                } else if length == -1 {
                    break
                } else {
                    throw connection.connectionError()
                }
            }
            while let final = PQgetResult(connection.handle) {
                defer { PQclear(final) }
                try connection.check(final)
            }
            return bytes
        }
    }

    private func send(copyData bytes: [UInt8]) async throws {
        try await thread.run { [self] in
            let sent = bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { PQputCopyData(handle, $0.baseAddress, Int32($0.count)) }
            }
            guard sent == 1 else { throw connectionError() }
        }
    }

    // MARK: Internals (run on the connection thread)

    /// Runs a blocking libpq call on the connection's thread; cancelling the task sends `PQcancel`.
    ///
    /// A task already cancelled does not start the statement. A cancel that races the statement's very start can
    /// reach the server before the statement does and be ignored, so it is sent again while the statement runs.
    private func runCancellable<T: Sendable>(_ body: @escaping @Sendable (PGConnection) throws -> T) async throws -> T {
        try Task.checkCancellation()
        let statement = canceller.begin()
        defer { canceller.end() }
        return try await withTaskCancellationHandler {
            try await thread.run { [self] in try body(self) }
        } onCancel: { [canceller] in
            canceller.cancel(statement)
        }
    }

    private func runPrepared(sql: String, binds: [PGBind]) throws -> PGRows {
        do {
            return try executePrepared(sql: sql, binds: binds)
        } catch let error as PGError where error.sqlState == .cachedPlanChanged && PQtransactionStatus(handle) == PQTRANS_IDLE {
            // The schema changed under a cached plan ("cached plan must not change result type"): prepare again.
            if let name = preparedStatements.removeValue(forKey: sql) {
                PQclear(PQexec(handle, "DEALLOCATE \(name)"))
            }
            return try executePrepared(sql: sql, binds: binds)
        }
    }

    private func executePrepared(sql: String, binds: [PGBind]) throws -> PGRows {
        if binds.isEmpty {
            // Statements without values are mostly one-off (DDL, administration): run them unprepared.
            let result = PQexecParams(handle, sql, 0, nil, nil, nil, nil, 0)
            defer { PQclear(result) }
            try check(result)
            return rows(of: result!)
        }
        let result: OpaquePointer?
        if cachesPreparedStatements {
            let name = try preparedStatementName(sql: sql, binds: binds)
            result = PGParameterBuffer(binds).withParameters { values, lengths, formats in
                PQexecPrepared(handle, name, Int32(binds.count), values, lengths, formats, 0)
            }
        } else {
            let types = binds.map { $0.oid.rawValue }
            result = PGParameterBuffer(binds).withParameters { values, lengths, formats in
                PQexecParams(handle, sql, Int32(binds.count), types, values, lengths, formats, 0)
            }
        }
        defer { PQclear(result) }
        try check(result)
        return rows(of: result!)
    }

    private func preparedStatementName(sql: String, binds: [PGBind]) throws -> String {
        if let name = preparedStatements[sql] { return name }
        if preparedStatements.count >= Self.preparedStatementLimit {
            PQclear(PQexec(handle, "DEALLOCATE ALL"))
            preparedStatements.removeAll()
        }
        preparedStatementsCreated += 1
        let name = "tr_\(preparedStatementsCreated)"
        let types = binds.map { $0.oid.rawValue }
        let result = PQprepare(handle, name, sql, Int32(binds.count), types)
        defer { PQclear(result) }
        try check(result)
        preparedStatements[sql] = name
        return name
    }

    private func rows(of result: OpaquePointer) -> PGRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { String(cString: PQfname(result, Int32($0))) }
        var cells: [String?] = []
        cells.reserveCapacity(rowCount * columnCount)
        for row in 0..<Int32(rowCount) {
            for column in 0..<Int32(columnCount) {
                if PQgetisnull(result, row, column) == 1 {
                    cells.append(nil)
                } else {
                    cells.append(String(cString: PQgetvalue(result, row, column)))
                }
            }
        }
        let affected = Int(String(cString: PQcmdTuples(result))) ?? rowCount
        return PGRows(columns: columns, cells: cells, affectedRows: affected)
    }

    private func check(_ result: OpaquePointer?) throws {
        guard let result else { throw connectionError() }
        switch PQresultStatus(result) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_COPY_OUT:
            return
        default:
            func field(_ code: UInt8) -> String? {
                PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
            }
            guard let sqlState = field(UInt8(ascii: "C")) else { throw connectionError() }
            throw PGError(
                kind: .server,
                sqlState: SQLState(sqlState),
                message: field(UInt8(ascii: "M")) ?? "unknown server error",
                detail: field(UInt8(ascii: "D")),
                hint: field(UInt8(ascii: "H")),
                constraint: field(UInt8(ascii: "n")),
                table: field(UInt8(ascii: "t")),
                column: field(UInt8(ascii: "c"))
            )
        }
    }

    private func connectionError() -> PGError {
        let message = String(cString: PQerrorMessage(handle)).singleLine()
        return PGError(kind: .connectionLost, message: message.isEmpty ? "connection lost" : message)
    }
}

/// A libpq handle crossing from the connection thread to the caller once, right after `PQconnectdbParams`.
private struct UncheckedHandle: @unchecked Sendable {
    // @unchecked: handed over exactly once, from the job that created it to the task that awaited that job.
    let pointer: OpaquePointer
}

/// Holds the logger that libpq's notice callback writes to.
private final class NoticeSink: Sendable {
    let logger: Logger
    init(logger: Logger) { self.logger = logger }
}

/// Bound parameters laid out in one buffer, with pointers valid only inside ``withParameters(_:)``.
private struct PGParameterBuffer {
    private var bytes: [UInt8] = []
    private var offsets: [Int?] = []
    private var lengths: [Int32] = []
    private var formats: [Int32] = []

    init(_ binds: [PGBind]) {
        for bind in binds {
            switch bind.value {
            case .none:
                offsets.append(nil)
                lengths.append(0)
                formats.append(0)
            case .text(let text):
                offsets.append(bytes.count)
                bytes.append(contentsOf: text.utf8)
                bytes.append(0)
                lengths.append(0)
                formats.append(0)
            case .binary(let data):
                offsets.append(bytes.count)
                bytes.append(contentsOf: data)
                lengths.append(Int32(data.count))
                formats.append(1)
            }
        }
    }

    func withParameters<R>(
        _ body: (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
    ) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { characters in
                let pointers: [UnsafePointer<CChar>?] = offsets.map { offset in
                    offset.map { characters.baseAddress! + $0 }
                }
                return pointers.withUnsafeBufferPointer { values in
                    lengths.withUnsafeBufferPointer { lengths in
                        formats.withUnsafeBufferPointer { formats in
                            body(values.baseAddress, lengths.baseAddress, formats.baseAddress)
                        }
                    }
                }
            }
        }
    }
}

/// Rows encoded in `COPY` text format.
private struct PGCopyText {
    static let chunkSize = 256 * 1024
    var bytes: [UInt8] = []

    mutating func append(row: [any PGEncodable]) {
        for (index, value) in row.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: "\t")) }
            switch value.pgBind.value {
            case .none:
                bytes.append(contentsOf: "\\N".utf8)
            case .text(let text):
                appendEscaped(text.utf8)
            case .binary(let data):
                // bytea in text format: \x followed by hex digits; the backslash itself is escaped for COPY.
                bytes.append(contentsOf: "\\\\x".utf8)
                let digits = Array("0123456789abcdef".utf8)
                for byte in data {
                    bytes.append(digits[Int(byte >> 4)])
                    bytes.append(digits[Int(byte & 0x0f)])
                }
            }
        }
        bytes.append(UInt8(ascii: "\n"))
    }

    private mutating func appendEscaped(_ text: String.UTF8View) {
        for byte in text {
            switch byte {
            case UInt8(ascii: "\\"): bytes.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "\t"): bytes.append(contentsOf: "\\t".utf8)
            case UInt8(ascii: "\n"): bytes.append(contentsOf: "\\n".utf8)
            case UInt8(ascii: "\r"): bytes.append(contentsOf: "\\r".utf8)
            default: bytes.append(byte)
            }
        }
    }
}

/// Calls `body` with a NULL-terminated array of C strings that live only during the call.
private func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var storage: [UInt8] = []
    var offsets: [Int] = []
    for string in strings {
        offsets.append(storage.count)
        storage.append(contentsOf: string.utf8)
        storage.append(0)
    }
    return storage.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { characters in
            var pointers: [UnsafePointer<CChar>?] = offsets.map { characters.baseAddress! + $0 }
            pointers.append(nil)
            return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
        }
    }
}

/// Sends cancel requests for one connection's statements, from any thread.
///
/// libpq's cancel handle may be used from any thread and outlives the connection: it is freed with this object,
/// which a cancel in progress keeps alive. A cancel is sent only while the statement it is meant for runs; the
/// request itself travels outside the lock, so that a slow server does not hold up the connection's closing.
final class StatementCanceller: Sendable {
    private struct State {
        var isClosed = false
        /// The statement running now (0: none); numbers are never reused.
        var running: UInt64 = 0
        var lastStatement: UInt64 = 0
    }

    /// How often a cancel is sent again while its statement still runs.
    static let repeatInterval = Duration.milliseconds(250)

    /// `PQgetCancel`'s handle, freed on deinit; `PQcancel` on it is safe from any thread.
    nonisolated(unsafe) private let handle: OpaquePointer?
    private let state = Mutex(State())
    private let sent = Atomic<Bool>(false)

    init(handle: OpaquePointer?) {
        self.handle = handle
    }

    deinit {
        if let handle { PQfreeCancel(handle) }
    }

    /// Whether a cancel was ever sent on this connection.
    var wasSent: Bool { sent.load(ordering: .acquiring) }

    /// Marks a statement as running and returns its number.
    func begin() -> UInt64 {
        state.withLock { state in
            state.lastStatement += 1
            state.running = state.lastStatement
            return state.running
        }
    }

    /// Marks the running statement as ended.
    func end() {
        state.withLock { $0.running = 0 }
    }

    /// Cancels `statement` now, and again every ``repeatInterval`` while it still runs (from a thread of its own:
    /// `PQcancel` blocks while it talks to the server, and must not hold up Swift's few cooperative threads).
    func cancel(_ statement: UInt64) {
        guard send(statement) else { return }
        Task.detached { [self] in
            let thread = ConnectionThread()
            defer { thread.stop() }
            while true {
                try? await Task.sleep(for: Self.repeatInterval)
                guard (try? await thread.run { self.send(statement) }) == true else { return }
            }
        }
    }

    /// Sends one cancel request if `statement` is still running; returns whether it was.
    private func send(_ statement: UInt64) -> Bool {
        let running = state.withLock { state in
            guard !state.isClosed, state.running == statement else { return false }
            // Before the request leaves: the pool must not lend the connection to anyone it could reach.
            sent.store(true, ordering: .releasing)
            return true
        }
        guard running, let handle else { return false }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(handle, &buffer, Int32(buffer.count))
        return true
    }

    /// The connection is closing: no more cancels.
    func close() {
        state.withLock { $0.isClosed = true }
    }
}
