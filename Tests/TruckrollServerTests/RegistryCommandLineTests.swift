import Foundation
import LibPQ
import Testing
@testable import TruckrollCommands
import TruckrollServer
import TruckrollStore
import TruckrollTestSupport

/// The registry from the command line: operators' admin and import commands on the database, people's commands
/// through the API with the token `truckroll login` keeps.
@Suite struct RegistryCommandLineTests {
    private func truckroll(_ arguments: [String], environment extra: [String: String] = [:], input: String? = nil) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["TRUCKROLL_DATABASE_URL"] = nil
        environment["TRUCKROLL_SERVER"] = nil
        environment["TRUCKROLL_TOKEN"] = nil
        environment.merge(extra) { $1 }
        return try await ChildProcess.run(CommandLineTests.executable, arguments, environment: environment, input: input)
    }

    @Test func adminLoginAndEveryDayCommands() async throws {
        try await TestDatabase.withDatabase { database in
            let url = TestDatabase.url(of: database)
            let db = ["--database-url", url]
            let added = try await truckroll(["admin", "user", "add", "--username", "olga", "--role", "admin", "--password-stdin"] + db,
                                            input: "a long enough password\n")
            #expect(added.status == 0, "\(added.output)")
            let badRole = try await truckroll(["admin", "user", "add", "--username", "x", "--role", "boss"] + db)
            #expect(badRole.status != 0 && badRole.output.contains("role: must be one of"))
            #expect(badRole.output.split(separator: "\n").count == 1)
            let token = try await truckroll(["admin", "token", "create", "--user", "olga", "--name", "ci"] + db)
            #expect(token.status == 0)
            let secret = try #require(token.output.split(separator: "\n").last.map(String.init))
            #expect(secret.hasPrefix("trk_"))
            let tokens = try await truckroll(["admin", "token", "list"] + db)
            #expect(tokens.output.contains("ci") && !tokens.output.contains(secret))

            try await TestServer.withServer(database: database) { base, _ in
                let home = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-cli-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: home) }
                let env = ["XDG_CONFIG_HOME": home]
                let login = try await truckroll(["login", "--server", base.absoluteString, "--username", "olga", "--password-stdin"],
                                                environment: env, input: "a long enough password\n")
                #expect(login.status == 0, "\(login.output)")
                let file = home + "/truckroll/credentials.json"
                let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
                #expect(mode == 0o600)
                let wrong = try await truckroll(["login", "--server", base.absoluteString, "--username", "olga", "--password-stdin"],
                                                environment: ["XDG_CONFIG_HOME": home + "/other"], input: "not the password\n")
                #expect(wrong.status != 0 && wrong.output.contains("401"))

                let created = try await truckroll(["create", "customer", "--set", "code=ACME", "--set", "name=Acme Corp", "--json"], environment: env)
                #expect(created.status == 0 && created.output.contains("\"code\" : \"ACME\""), "\(created.output)")
                let invalid = try await truckroll(["create", "site", "--set", "code=S1", "--set", "latitude=91"], environment: env)
                #expect(invalid.status != 0 && invalid.output.contains("latitude: must be between -90 and 90"))
                #expect(invalid.output.contains("customer_id: is required"))
                let edited = try await truckroll(["edit", "customer", "1", "--set", "name=Acme Corporation"], environment: env)
                #expect(edited.status == 0 && edited.output.contains("Acme Corporation") && edited.output.contains("version"))
                let listed = try await truckroll(["list", "customers"], environment: env)
                #expect(listed.output.contains("CODE") && listed.output.contains("Acme Corporation"))
                let shown = try await truckroll(["show", "customers", "1"], environment: env)
                #expect(shown.output.contains("status") && shown.output.contains("active"))
                let missing = try await truckroll(["edit", "unit", "999", "--set", "status=down"], environment: env)
                #expect(missing.status != 0 && missing.output.contains("404"))
                let unknownField = try await truckroll(["edit", "customer", "1", "--set", "colour=red"], environment: env)
                #expect(unknownField.status != 0 && unknownField.output.contains("colour"))
                let deleted = try await truckroll(["delete", "customer", "1"], environment: env)
                #expect(deleted.status == 0)
                let noServer = try await truckroll(["list", "units"], environment: ["XDG_CONFIG_HOME": home + "/none"])
                #expect(noServer.status != 0 && noServer.output.contains("truckroll login"))
            }

            let disabled = try await truckroll(["admin", "user", "disable", "olga"] + db)
            #expect(disabled.status == 0)
            let users = try await truckroll(["admin", "user", "list", "--json"] + db)
            #expect(users.output.contains("\"disabled\" : true"))
        }
    }

    @Test func importIsAllOrNothingAndNamesEveryBadLine() async throws {
        try await TestDatabase.withDatabase { database in
            let db = ["--database-url", TestDatabase.url(of: database)]
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("truckroll-import-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            func write(_ name: String, _ text: String) throws -> String {
                let path = directory.appendingPathComponent(name).path
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                return path
            }
            let customers = try write("customers.csv", "code,name\nACME,Acme\nGLOBEX,\"Globex, Inc.\"\n")
            #expect(try await truckroll(["import", "customers", customers] + db).status == 0)
            let sites = try write("sites.csv", """
                code,customer,name,address,latitude,longitude,time_zone
                HQ,ACME,Head office,1 Main St,48.85,2.35,Europe/Paris
                PLANT,GLOBEX,Plant,"2 Mill Rd
                Building B",45.76,4.83,Europe/Paris
                """)
            let sitesImported = try await truckroll(["import", "sites", sites] + db)
            #expect(sitesImported.status == 0 && sitesImported.output.contains("imported 2 sites"), "\(sitesImported.output)")
            let models = try write("models.csv", """
                code,manufacturer,name,category,typical_repair_minutes,required_skills
                C5550,Canon,imageRUNNER C5550i,copier_mfp,60,"[{""skill"": ""copier"", ""level"": 3}]"
                """)
            #expect(try await truckroll(["import", "equipment-models", models] + db).status == 0)

            let bad = try write("bad-units.csv", """
                serial_number,equipment_model,site,status,install_date
                SN-1,C5550,HQ,in_service,2024-01-15
                SN-2,C9999,HQ,in_service,2024-01-15
                SN-3,C5550,NOWHERE,broken,2024-02-30
                SN-1,C5550,PLANT,in_service,
                """)
            let failed = try await truckroll(["import", "units", bad] + db)
            #expect(failed.status != 0)
            for expected in ["line 3: equipment_model_id: no equipment-models with code \"C9999\"", "line 4: site_id: no sites with code \"NOWHERE\"",
                             "line 5: serial_number: repeats line 2"] {
                #expect(failed.output.contains(expected), "missing \(expected) in \(failed.output)")
            }
            let badValues = try write("bad-values.csv", "serial_number,equipment_model,site,status,install_date\nSN-3,C5550,HQ,broken,2024-02-30\n")
            let valueErrors = try await truckroll(["import", "units", badValues] + db)
            #expect(valueErrors.output.contains("line 2: install_date") && valueErrors.output.contains("line 2: status"))
            let badHeader = try write("bad-header.csv", "serial_number,colour\nSN-9,red\n")
            #expect(try await truckroll(["import", "units", badHeader] + db).output.contains("line 1: colour: is not a field of units"))

            let count = try await PGConnection.withConnection(configuration: database) { connection in
                try await connection.query("SELECT count(*) FROM unit")[0].decode(Int.self, at: 0)
            }
            #expect(count == 0, "a failed import stores nothing")
            let good = try write("units.csv", "serial_number,equipment_model,site,criticality\nSN-1,C5550,HQ,high\nSN-2,C5550,PLANT,\n")
            let imported = try await truckroll(["import", "units", good] + db)
            #expect(imported.status == 0 && imported.output.contains("imported 2 units"), "\(imported.output)")
            let again = try await truckroll(["import", "units", good] + db)
            #expect(again.status != 0 && again.output.contains("line 2: serial_number: \"SN-1\" is already stored"))
        }
    }
}

/// `make demo`'s data set (the demo-size sample business) loads into an empty database, once, and the tokens of its
/// admin, dispatcher, technician and vendor coordinator work, each within its role.
@Suite struct DemoDataTests {
    @Test func theDemoDataSetLoadsOnceAndItsTokensWork() async throws {
        try await TestDatabase.withDatabase { database in
            try await TestServer.withServer(database: database) { base, pool in
                let demo = DemoData()
                let credentials = try await demo.prepare(pool: pool)
                #expect(credentials.map(\.username) == ["demo", "dispatcher", "t0001", "vendor"])
                let again = try await demo.prepare(pool: pool)
                #expect(again.count == 4 && again[0].token != credentials[0].token)
                #expect(try await pool.query("SELECT count(*) FROM technician")[0].decode(Int.self, at: 0) == 40, "loaded once")
                let token = { (username: String) in credentials.first { $0.username == username }?.token }
                let units = try await TestHTTP(base: base, token: token("demo")).send("GET", "/v1/units?limit=10")
                #expect(units.status == 200 && units.items.count == 10)
                let queue = try await TestHTTP(base: base, token: token("dispatcher")).send("GET", "/v1/service-requests?status=dispatch_needed&limit=5")
                #expect(queue.status == 200 && queue.items.count == 5)
                let jobs = try await TestHTTP(base: base, token: token("t0001")).send("GET", "/v1/me/visits")
                #expect(jobs.status == 200, "\(jobs.text)")
                let rmas = try await TestHTTP(base: base, token: token("vendor")).send("GET", "/v1/rmas?limit=100")
                #expect(rmas.status == 200 && rmas.items.allSatisfy { $0["vendor_id"] as? Int == 1 })

                // The main job: plan the day, better than the naive dispatch and the current plan; apply it.
                let planID = try await DemoPlan.run(pool: pool, logger: TestDatabase.silentLogger, timeLimit: 2)
                let plan = try await TestHTTP(base: base, token: token("dispatcher")).send("GET", "/v1/plans/\(planID)")
                let result = try #require(plan.object["result"] as? [String: any Sendable])
                let cost = { (key: String) in ((result[key] as? [String: any Sendable])?["downtime_cost"] as? Double) ?? 0 }
                #expect(cost("kpis") > 0 && cost("kpis") < cost("naive_dispatch") && cost("kpis") < cost("current_plan"))
                let applied = try await TestHTTP(base: base, token: token("dispatcher")).send("POST", "/v1/plans/\(planID)/apply")
                #expect(applied.status == 200 && (applied.object["created"] as? Int ?? 0) > 100, "\(applied.text.prefix(300))")
                let planned = try await TestHTTP(base: base, token: token("t0001")).send("GET", "/v1/me/visits")
                #expect(planned.items.count > jobs.items.count, "the technician's list shows the applied plan")

                let instructions = DemoData.instructions(server: base.absoluteString, credentials: credentials, plan: planID)
                #expect(credentials.allSatisfy { instructions.contains($0.token) } && instructions.contains("plan apply \(planID)"))
            }
        }
    }
}
