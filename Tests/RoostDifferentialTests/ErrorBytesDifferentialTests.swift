import Testing
import RoostTestSupport

/// Errors that quote a client's bytes carry them raw, cut and cleaned as Redis cuts them.
@Suite struct ErrorBytesDifferentialTests {
    @Test func unknownCommandEchoesRawBytes() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
            !raw *1\r\n$2\r\n\xff\xfe\r\n
            !raw *3\r\n$2\r\n\xff\xfe\r\n$3\r\na\xffb\r\n$2\r\n\xc3\x28\r\n
            "\xff\xfe" "a\r\nb" "x\x00y"
            "foo\r\nbar"
            "foo\x00bar" baz
            foo "\xff\xfe\xfd"
            foo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb cccccccccccccccccccccccc ddd
            """#)
        }
    }

    @Test func subcommandAndOptionErrorsEchoRawBytes() async throws {
        try await Differential.with { pair in
            try pair.run(#"""
            CONFIG "\xff\xfe"
            CONFIG "\xff\r\nx"
            OBJECT "\xffzz"
            CONFIG SET "\xff\xfe" x
            CONFIG SET "a\r\nb" x
            CLIENT KILL TYPE "\xffnope"
            CLIENT KILL USER "\xffnope"
            CLIENT LIST TYPE "\xffnope"
            HELLO 3 "\xffbad"
            SET k v
            EXPIRE k 10 "\xffnope"
            PUBSUB "\xffzz" a b c
            FUNCTION LIST "\xffarg"
            FUNCTION FLUSH a b
            MULTI
            "\xff\xfe"
            EXEC
            """#)
        }
    }
}

extension ErrorBytesDifferentialTests {
    @Test func configSetQuotesTheNameAsTyped() async throws {
        try await Differential.with { pair in
            try pair.run("""
            CONFIG SET hz 5 HZ 6
            CONFIG SET Hz abc
            CONFIG SET hz 10
            """)
        }
    }
}
