import Foundation
import RoostEngine
import Testing

/// Keeps docs/COMMANDS.md in step with `CommandTable.standard`. Run with
/// `ROOST_WRITE_COMMANDS_MD=1 swift test --filter CommandListTests` to regenerate it.
@Suite struct CommandListTests {
    /// The Markdown table of every command and subcommand, sorted by name.
    static func markdown() -> String {
        var rows: [(String, CommandSpec)] = []
        for spec in CommandTable.standard.commands {
            rows.append((spec.name.uppercased(), spec))
            for sub in spec.subcommands { rows.append(("\(spec.name.uppercased()) \(sub.name.uppercased())", sub)) }
        }
        rows.sort { $0.0 < $1.0 }
        var out = """
            # Commands

            Generated from `CommandTable.standard` by `Tests/RoostEngineTests/CommandListTests.swift`;
            regenerate with `ROOST_WRITE_COMMANDS_MD=1 swift test --filter CommandListTests`.

            \(CommandTable.standard.commands.count) commands.

            | command | arity | flags | group |
            |---|---|---|---|

            """
        for (name, spec) in rows {
            let flags = CommandFlags.names.filter { spec.flags.contains($0.0) }.map(\.1).joined(separator: ", ")
            out += "| \(name) | \(spec.arity) | \(flags) | \(spec.group) |\n"
        }
        return out
    }

    static var path: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/COMMANDS.md")
    }

    @Test func commandsMarkdownIsCurrent() throws {
        let expected = Self.markdown()
        if ProcessInfo.processInfo.environment["ROOST_WRITE_COMMANDS_MD"] == "1" {
            try FileManager.default.createDirectory(
                at: Self.path.deletingLastPathComponent(), withIntermediateDirectories: true)
            try expected.write(to: Self.path, atomically: true, encoding: .utf8)
            return
        }
        let current = try? String(contentsOf: Self.path, encoding: .utf8)
        #expect(current == expected,
                "docs/COMMANDS.md is stale; regenerate with ROOST_WRITE_COMMANDS_MD=1 swift test --filter CommandListTests")
    }
}
