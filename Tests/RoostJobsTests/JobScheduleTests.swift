import NIOConcurrencyHelpers
import RoostClient
import RoostCoordination
@testable import RoostJobs
import RoostTestSupport
import Testing

@Suite("Repeatable jobs on Roost, redis-server and Redis Cluster")
struct JobScheduleTests {
    @Test(arguments: TestBackend.available)
    func eachTickRunsOnceHoweverManySchedulersRun(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-repeat", on: client)
            let runs = NIOLockedValueBox<[String]>([])
            let workers = (0..<3).map { _ in Worker.make(queue) }
            for worker in workers {
                worker.register(Greet.self) { job, context in
                    runs.withLockedValue { $0.append(context.id) }
                    return job.who
                }
            }
            try await queue.schedule(Greet(who: "tick"), try RepeatSchedule(every: .milliseconds(200)), name: "beat")
            #expect(try await queue.schedules()["beat"]?.jobName == "greet")
            try await whileRunning(workers) {
                try await eventually("five ticks ran") { runs.withLockedValue { $0.count } >= 5 }
                #expect(try await queue.unschedule("beat"))
            }
            let ids = runs.withLockedValue { $0 }
            #expect(Set(ids).count == ids.count, "a tick ran twice: \(ids)")
            let ticks = ids.compactMap { $0.split(separator: "@").last.flatMap { Int64($0) } }.sorted()
            #expect(ticks.count == ids.count && ticks.allSatisfy { $0 % 200 == 0 })
            #expect(zip(ticks, ticks.dropFirst()).allSatisfy { $1 - $0 >= 200 })
            #expect(try await queue.schedules().isEmpty)
        }
    }

    @Test(arguments: TestBackend.available)
    func aCronScheduleFiresOnItsSeconds(_ backend: TestBackend) async throws {
        try await withJobsBackend(backend) { client in
            let queue = JobQueue("q-cron", on: client)
            let runs = NIOLockedValueBox<[String]>([])
            let worker = Worker.make(queue)
            worker.register(Greet.self) { job, context in
                runs.withLockedValue { $0.append(context.id) }
                return job.who
            }
            try await queue.schedule(Greet(who: "cron"), try RepeatSchedule(cron: "* * * * * *"), name: "every-second")
            try await whileRunning([worker]) {
                try await eventually("two ticks ran") { runs.withLockedValue { $0.count } >= 2 }
            }
            let ticks = runs.withLockedValue { $0 }.compactMap { $0.split(separator: "@").last.flatMap { Int64($0) } }
            #expect(ticks.allSatisfy { $0 % 1000 == 0 })
            await #expect(throws: JobsError.self) {
                try await queue.schedule(Greet(who: "x"), try RepeatSchedule(every: .seconds(1)), name: "a:b")
            }
        }
    }
}
