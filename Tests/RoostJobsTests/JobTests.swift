import Foundation
import RoostJobs
import Testing

@Suite("Job payloads")
struct JobTests {
    struct Greet: Job {
        static let name = "greet"
        typealias Output = String
        var who: String
    }

    @Test func aJobAndItsOutputRoundTripThroughJSON() throws {
        let job = Greet(who: "Ada")
        let decoded = try JSONDecoder().decode(Greet.self, from: JSONEncoder().encode(job))
        #expect(decoded.who == "Ada")
        #expect(try JSONDecoder().decode(Empty.self, from: JSONEncoder().encode(Empty())) == Empty())
    }
}
