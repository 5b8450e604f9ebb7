import Foundation
import Testing
import TruckrollServer
import TruckrollTestSupport

/// `truckroll sample load`: the summary and time on success, one line and a failure status on a database that is
/// not empty or cannot be reached.
@Suite struct SampleCommandTests {
    @Test func loadsOnceThenRefusesTheNonEmptyDatabase() async throws {
        try await TestDatabase.withDatabase { database in
            let db = ["--database-url", TestDatabase.url(of: database)]
            let loaded = try await BuiltTruckroll.run(["sample", "load", "--size", "demo", "--seed", "3", "--history-days", "1"] + db)
            #expect(loaded.status == 0, "\(loaded.output)")
            #expect(loaded.output.contains("loaded sample demo (seed 3) in "), "\(loaded.output)")
            #expect(loaded.output.contains("300 customers") && loaded.output.contains("40 technicians")
                    && loaded.output.contains("250 open calls"), "\(loaded.output)")
            #expect(loaded.output.contains("users: demo, helpdesk, dispatcher, manager, vendor, t0001"), "\(loaded.output)")

            let refused = try await BuiltTruckroll.run(["sample", "load", "--history-days", "1"] + db)
            #expect(refused.status != 0)
            #expect(refused.output.split(separator: "\n").count == 1, "\(refused.output)")
            #expect(refused.output.contains("the database is not empty (300 customers)"), "\(refused.output)")
        }
        let unreachable = try await BuiltTruckroll.run(["sample", "load", "--database-url", "postgresql://nobody@127.0.0.1:1/none"])
        #expect(unreachable.status != 0)
        #expect(unreachable.output.split(separator: "\n").count == 1 && unreachable.output.contains("cannot connect"),
                "\(unreachable.output)")
    }
}
