/// MODULE and its subcommands, answering as a Redis 7.0 with no modules loaded.
///
/// Roost runs no Redis modules: they are C libraries written against Redis's own module API,
/// which an embedded Swift server does not offer. Redis refuses LOAD, LOADEX and UNLOAD unless
/// `enable-module-command` allows them (the `protected` flag, checked at dispatch); when it
/// does, loading fails as a library Redis cannot load does, and unloading finds no module.
enum ModuleCommands {
    static let categories = ["admin", "slow", "dangerous"]
    static let changing: CommandFlags = [.admin, .noscript, .noAsyncLoading, .protected]

    static let specs: [CommandSpec] = [
        CommandSpec("module", arity: -2, categories: ["slow"], group: "server", since: "4.0.0",
                    summary: "A container for module commands", subcommands: [
                        CommandSpec("list", arity: 2, flags: [.admin, .noscript], categories: categories,
                                    tips: ["nondeterministic_output_order"], group: "server", since: "4.0.0",
                                    summary: "List all modules loaded by the server",
                                    complexity: "O(N) where N is the number of loaded modules.", handler: list),
                        CommandSpec("load", arity: -3, flags: changing, categories: categories,
                                    group: "server", since: "4.0.0", summary: "Load a module",
                                    complexity: "O(1)", handler: load),
                        CommandSpec("unload", arity: 3, flags: changing, categories: categories,
                                    group: "server", since: "4.0.0", summary: "Unload a module",
                                    complexity: "O(1)", handler: unload),
                        CommandSpec("help", arity: 2, flags: [.loading, .stale], categories: ["slow"],
                                    group: "server", since: "5.0.0",
                                    summary: "Show helpful text about the different subcommands",
                                    complexity: "O(1)", handler: help),
                        CommandSpec("loadex", arity: -3, flags: changing, categories: categories,
                                    group: "server", since: "7.0.0", summary: "Load a module with extended parameters",
                                    complexity: "O(1)", handler: load),
                    ], complexity: "Depends on subcommand."),
    ]

    /// No module is loaded.
    static func list(_ c: CommandContext) throws(RedisError) {
        c.reply.arrayHeader(0)
    }

    /// LOAD and LOADEX: Roost cannot load a Redis module, whatever the path and arguments.
    static func load(_ c: CommandContext) throws(RedisError) {
        throw .moduleLoadFailed
    }

    static func unload(_ c: CommandContext) throws(RedisError) {
        throw .noSuchModule
    }

    static func help(_ c: CommandContext) throws(RedisError) {
        ConnectionCommands.writeHelp(c, [
            "MODULE <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LIST",
            "    Return a list of loaded modules.",
            "LOAD <path> [<arg> ...]",
            "    Load a module library from <path>, passing to it any optional arguments.",
            "LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
            "    Load a module library from <path>, while passing it module configurations and optional arguments.",
            "UNLOAD <name>",
            "    Unload a module.",
            "HELP",
            "    Prints this help.",
        ])
    }
}
