import Testing
import TruckrollDomain

/// Every (from, to) pair of every life cycle, and what each target requires.
@Suite struct LifecycleTests {
    static let lifecycles: [(String, Lifecycle)] = [("service request", .serviceRequest), ("visit", .visit), ("RMA", .rma)]

    /// A request that carries everything any target needs, so that only legality decides.
    static func complete(_ lifecycle: Lifecycle, to target: String) -> JSONObject {
        var request: JSONObject = ["to": .string(target)]
        for requirement in lifecycle.requirements[target] ?? [] {
            request[requirement.field] = switch requirement.type {
            case .choice(let choices): .string(requirement.values?.first ?? choices[0])
            case .timestamp: "2026-12-02T10:00:00Z"
            case .code: "CODE-1"
            default: "some text"
            }
        }
        return request
    }

    @Test(arguments: lifecycles.map(\.0))
    func everyMoveIsLegalExactlyWhenTheTableSaysSo(_ name: String) {
        let lifecycle = Self.lifecycles.first { $0.0 == name }!.1
        for from in lifecycle.statuses {
            let allowed = lifecycle.next[from] ?? []
            for target in lifecycle.statuses {
                switch lifecycle.check(from: from, request: Self.complete(lifecycle, to: target)) {
                case .success(let to):
                    #expect(allowed.contains(target) && to == target, "\(name): \(from) → \(target) accepted")
                case .failure(.illegal(let reportedFrom, let reportedTo, let reportedAllowed)):
                    #expect(!allowed.contains(target), "\(name): \(from) → \(target) refused")
                    #expect(reportedFrom == from && reportedTo == target && reportedAllowed == allowed)
                case .failure(.invalid(let errors)):
                    Issue.record("\(name): \(from) → \(target): \(errors)")
                }
            }
        }
    }

    @Test func everyStatusIsReachableAndFinalStatusesAreFinal() {
        for (name, lifecycle) in Self.lifecycles {
            var reached: Set<String> = [lifecycle.statuses[0]]
            var frontier = [lifecycle.statuses[0]]
            while let status = frontier.popLast() {
                for next in lifecycle.next[status] ?? [] where reached.insert(next).inserted { frontier.append(next) }
            }
            #expect(reached == Set(lifecycle.statuses), "\(name): unreachable \(Set(lifecycle.statuses).subtracting(reached))")
        }
        #expect(Lifecycle.serviceRequest.next["closed"] == [])
        #expect(Lifecycle.visit.next["completed"] == [] && Lifecycle.visit.next["cancelled"] == [])
        #expect(Lifecycle.rma.next["closed"] == [] && Lifecycle.rma.next["rejected"] == [])
    }

    @Test func targetsRequireTheirFields() {
        let hold = Lifecycle.serviceRequest.check(from: "in_progress", request: ["to": "on_hold"])
        #expect(hold == .failure(.invalid([FieldError(field: "hold_code", message: "is required to move to on_hold")])))
        let badHold = Lifecycle.serviceRequest.check(from: "in_progress", request: ["to": "on_hold", "hold_code": "lunch"])
        guard case .failure(.invalid(let errors)) = badHold else { Issue.record("an unknown hold code was accepted"); return }
        #expect(errors.map(\.field) == ["hold_code"])
        let done = Lifecycle.visit.check(from: "on_site", request: ["to": "completed", "outcome": "incomplete", "work_notes": "x"])
        guard case .failure(.invalid(let outcome)) = done else { Issue.record("completed as incomplete was accepted"); return }
        #expect(outcome.map(\.field) == ["outcome"])
        let extra = Lifecycle.rma.check(from: "requested", request: ["to": "approved", "colour": "red"])
        guard case .failure(.invalid(let unknown)) = extra else { Issue.record("an unknown field was accepted"); return }
        #expect(unknown.map(\.field) == ["colour"])
        let unknownStatus = Lifecycle.visit.check(from: "planned", request: ["to": "teleported"])
        guard case .failure(.invalid(let status)) = unknownStatus else { Issue.record("an unknown status was accepted"); return }
        #expect(status.map(\.field) == ["to"])
        #expect(ServiceRequestRules.priority(criticality: "critical", unitDown: true, hasContract: true, callType: "corrective") == "P1")
        #expect(ServiceRequestRules.priority(criticality: "critical", unitDown: false, hasContract: false, callType: "corrective") == "P3")
        #expect(ServiceRequestRules.priority(criticality: "low", unitDown: true, hasContract: false, callType: "corrective") == "P4")
        #expect(ServiceRequestRules.priority(criticality: "critical", unitDown: true, hasContract: true, callType: "install") == "P4")
        #expect(ServiceRequestRules.priority(criticality: nil, unitDown: true, hasContract: true, callType: "corrective") == "P3")
    }
}
