import RoostClient
import RoostJobs
import RoostTestSupport
import Testing

@Suite("roost jobs shows flows: a parent's children and a child's parent")
struct JobsFlowTests {
    @Test(arguments: CLIBackend.available)
    func showAndListTellParentsAndChildren(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let added = try await FlowProducer(on: client).add(FlowJob(Greet(who: "parent"), in: "q", children: [
                FlowJob(Greet(who: "child"), in: "kids", onFailure: .ignore),
            ]))
            let parent = added.job.id
            let child = try #require(added.children.first?.job)

            let list = try await RoostCLI.jobs(["list", "waiting-children"], url: url)
            #expect(list.status == 0 && list.fields.contains { $0.first == parent })

            let shown = try await RoostCLI.jobs(["show", parent], url: url)
            #expect(shown.status == 0)
            #expect(shown.fields.contains(["state", "waiting-children"]) && shown.fields.contains(["children", "1,", "1", "pending"]))
            #expect(shown.fields.contains([child.description, "pending"]))

            let childShown = try await RoostCLI.jobs(["show", child.id], url: url, queue: "kids")
            #expect(childShown.fields.contains(["parent", "q:\(parent)", "(on", "failure:", "ignore)"]))
        }
    }

    @Test(arguments: CLIBackend.available)
    func showFindsAFlowsJobsInTheirPartitions(_ backend: CLIBackend) async throws {
        try await withCLIBackend(backend) { url, client in
            let added = try await FlowProducer(on: client, partitions: ["q": 3, "kids": 4]).add(
                FlowJob(Greet(who: "parent"), in: "q", children: [
                    FlowJob(Greet(who: "one"), in: "kids"), FlowJob(Greet(who: "two"), in: "kids"),
                ]))
            let parent = added.job.id
            let shown = try await RoostCLI.jobs(["show", parent], url: url)
            #expect(shown.status == 0)
            #expect(shown.fields.contains(["state", "waiting-children"]) && shown.fields.contains(["children", "2,", "2", "pending"]))
            for child in added.children.map(\.job) {
                #expect(shown.fields.contains([child.description, "pending"]))
                let childShown = try await RoostCLI.jobs(["show", child.id], url: url, queue: "kids")
                #expect(childShown.fields.contains(["state", "waiting"]))
                #expect(childShown.fields.contains(["parent", "q:\(parent)", "(on", "failure:", "fail)"]))
            }
        }
    }
}
