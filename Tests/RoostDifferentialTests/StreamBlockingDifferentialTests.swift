import RoostTestSupport
import Testing

/// XREAD and XREADGROUP with BLOCK against real redis-server: wake-up order, `$` and `>`,
/// timeouts, destroyed groups and replaced keys. Clients are ordered by waiting for both servers
/// to report them blocked (`=N`), never by sleeping.
@Suite struct StreamBlockingDifferentialTests {
    @Test func fifoWakeUpAndDollar() async throws {
        for hello in ["HELLO 2", "HELLO 3"] {
            try await BlockingDifferentialTests.check(#"""
                @2 ?\#(hello)
                @3 ?\#(hello)
                XADD s 1-1 old 1
                @2 !noreply XREAD BLOCK 0 STREAMS s $
                =1
                @3 !noreply XREAD COUNT 1 BLOCK 0 STREAMS s $
                =2
                =info 2
                XADD s 2-1 new 2
                @2 <
                @3 <
                =0
                @2 !noreply XREAD BLOCK 0 STREAMS nokey other $ $
                =1
                XADD other 1-1 a 1
                @2 <
                @2 !noreply XREAD COUNT 2 BLOCK 0 STREAMS later 0
                =1
                MULTI
                XADD later 1-1 a 1
                XADD later 2-1 b 2
                XADD later 3-1 c 3
                EXEC
                @2 <
                @2 !noreply XREAD BLOCK 20 STREAMS s $
                @2 <
                """#)
        }
    }

    @Test func consumerGroupWaiters() async throws {
        for hello in ["HELLO 2", "HELLO 3"] {
            try await BlockingDifferentialTests.check(#"""
                @2 ?\#(hello)
                @3 ?\#(hello)
                XGROUP CREATE s g $ MKSTREAM
                @2 !noreply XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
                =1
                @3 !noreply XREADGROUP GROUP g bob BLOCK 0 STREAMS s >
                =2
                XADD s 1-1 a 1
                @2 <
                =1
                XADD s 2-1 b 2
                @3 <
                =0
                XPENDING s g
                XINFO GROUPS s
                @2 !noreply XREADGROUP GROUP g alice NOACK BLOCK 0 STREAMS s >
                =1
                XADD s 3-1 c 3
                @2 <
                XPENDING s g
                @2 !noreply XREADGROUP GROUP g alice BLOCK 0 STREAMS s >
                =1
                XGROUP DESTROY s g
                @2 <
                =0
                XGROUP CREATE s g2 $
                @2 !noreply XREADGROUP GROUP g2 carol BLOCK 0 STREAMS s >
                =1
                DEL s
                @2 <
                =0
                XGROUP CREATE s g2 $ MKSTREAM
                @2 !noreply XREADGROUP GROUP g2 carol BLOCK 0 STREAMS s >
                =1
                SET s x
                @2 <
                =0
                DEL s
                XGROUP CREATE s g2 $ MKSTREAM
                @2 !noreply XREADGROUP GROUP g2 carol BLOCK 0 STREAMS s >
                =1
                RENAME s t
                @2 <
                =0
                XADD s 8-1 x 1
                XGROUP CREATE s g3 $
                @2 !noreply XREADGROUP GROUP g3 dave BLOCK 30 STREAMS s >
                @2 <
                """#)
        }
    }

    @Test func replacedKeysKeepWaiting() async throws {
        try await BlockingDifferentialTests.check(#"""
            XADD s 5-1 a 1
            @2 !noreply XREAD BLOCK 0 STREAMS s $
            =1
            SET s x
            =1
            DEL s
            XADD s 1-1 a 1
            =1
            XADD s 6-1 b 2
            @2 <
            @2 !noreply XREAD BLOCK 0 STREAMS s $
            =1
            RENAME s t
            =1
            XADD t 7-1 c 3
            =1
            XADD s 1-1 d 4
            =1
            XADD s 7-1 e 5
            @2 <
            """#)
    }
}
