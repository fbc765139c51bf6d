import RoostTestSupport
import Testing

/// EVAL, EVALSHA, SCRIPT and the Lua environment, compared byte for byte with redis-server.
@Suite struct ScriptingDifferentialTests {
    @Test func evalArgumentsAndCache() async throws {
        try await Differential.check(#"""
            EVAL "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}" 2 k1 k2 a1 a2
            EVAL "return #KEYS + #ARGV * 10" 1 k a b c
            EVAL "return ARGV[1]" 0 "a\x00b\r\n\xff"
            EVAL "return KEYS" 0
            EVAL "return 1" -1
            EVAL "return 1" 2 onlyone
            EVAL "return 1" x
            EVAL "return 1" 99999999999999999999
            EVAL "return 1"
            EVAL
            EVALSHA
            EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
            EVALSHA abc 0
            EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
            EVAL "return 1" 0
            EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
            EVALSHA E0E1F9FABFC9D4800C877A703B823AC0578FF8DB 0
            EVALSHA_RO e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
            EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db -1
            SCRIPT LOAD "return 'loaded'"
            SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8 e0e1f9fabfc9d4800c877a703b823ac0578ff8db
            SCRIPT LOAD "return +"
            SCRIPT LOAD
            SCRIPT EXISTS
            SCRIPT FLUSH
            SCRIPT EXISTS e0e1f9fabfc9d4800c877a703b823ac0578ff8db
            EVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0
            SCRIPT FLUSH ASYNC
            SCRIPT FLUSH sync
            SCRIPT FLUSH bogus
            SCRIPT FLUSH sync async
            SCRIPT KILL
            SCRIPT NOSUCH
            EVAL "return redis.sha1hex('')" 0
            EVAL "return redis.sha1hex('a\x00b')" 0
            EVAL "return redis.sha1hex()" 0
            EVAL "return redis.sha1hex(12)" 0
            COMMAND INFO eval evalsha eval_ro evalsha_ro
            COMMAND INFO script|load script|exists script|flush script|kill script|help
            SCRIPT HELP
            SCRIPT HELP extra
            COMMAND GETKEYS EVAL "return 1" 2 ka kb arg
            COMMAND GETKEYS EVAL "return 1" 0
            """#)
    }

    @Test func luaToRedisConversionsResp2() async throws {
        try await Differential.check(#"""
            EVAL "return 42" 0
            EVAL "return 3.99" 0
            EVAL "return -3.99" 0
            EVAL "return 1e30" 0
            EVAL "return 0/0" 0
            EVAL "return 'text'" 0
            EVAL "return ''" 0
            EVAL "return true" 0
            EVAL "return false" 0
            EVAL "return nil" 0
            EVAL "return" 0
            EVAL "return {1, 'two', 3.5, true, false, {4, 5}}" 0
            EVAL "return {1, 2, nil, 4}" 0
            EVAL "return {}" 0
            EVAL "return {ok='fine'}" 0
            EVAL "return {ok='a\r\nb'}" 0
            EVAL "return {err='My error'}" 0
            EVAL "return {err='-CODE text'}" 0
            EVAL "return {err=''}" 0
            EVAL "return {1, {err='inner'}, {ok='st'}}" 0
            EVAL "return redis.status_reply('STATUS')" 0
            EVAL "return redis.status_reply()" 0
            EVAL "return redis.error_reply('ERR custom')" 0
            EVAL "return redis.error_reply('MYCODE custom')" 0
            EVAL "return redis.error_reply('-X y z')" 0
            EVAL "return redis.error_reply('nospace')" 0
            EVAL "return redis.error_reply(5)" 0
            EVAL "return {double=3.25}" 0
            EVAL "return {double=1/0}" 0
            EVAL "return {big_number='123456789012345678901234567890'}" 0
            EVAL "return {verbatim_string={format='txt', string='hello'}}" 0
            EVAL "return {map={a=1}}" 0
            EVAL "return {set={x=true}}" 0
            EVAL "return {foo='bar'}" 0
            EVAL "return function() end" 0
            """#)
    }

    @Test func luaToRedisConversionsResp3() async throws {
        try await Differential.check(#"""
            ?HELLO 3
            EVAL "return nil" 0
            EVAL "return false" 0
            EVAL "return true" 0
            EVAL "redis.setresp(3); return false" 0
            EVAL "redis.setresp(3); return true" 0
            EVAL "return {double=3.25}" 0
            EVAL "return {double=-1/0}" 0
            EVAL "return {big_number='12345678901234567890'}" 0
            EVAL "return {verbatim_string={format='txt', string='hello'}}" 0
            EVAL "return {map={a=1}}" 0
            EVAL "return {map={a={1,2}}}" 0
            EVAL "return {set={x=true}}" 0
            EVAL "return {1, nil}" 0
            EVAL "return {ok='fine'}" 0
            EVAL "return {err='bad'}" 0
            ?HELLO 2
            EVAL "redis.setresp(3); return false" 0
            EVAL "redis.setresp(3); return {true, false}" 0
            """#)
    }

    @Test func redisToLuaConversions() async throws {
        try await Differential.check(#"""
            SET s hello
            SET n 12
            EVAL "return type(redis.call('get', 's'))" 0
            EVAL "return type(redis.call('incr', 'n'))" 0
            EVAL "return redis.call('incr', 'n') + 0.5" 0
            EVAL "return type(redis.call('get', 'missing'))" 0
            EVAL "return redis.call('get', 'missing') == false" 0
            EVAL "local r = redis.call('set', 'k', 'v'); return r.ok" 0
            EVAL "local r = redis.call('set', 'k', 'v'); return r" 0
            EVAL "local r = redis.call('mget', 's', 'missing', 'n'); return {#r, type(r[2])}" 0
            EVAL "return redis.call('mget', 's', 'missing', 'n')" 0
            EVAL "local r = redis.pcall('incr', 's'); return r.err" 0
            EVAL "local r = redis.pcall('incr', 's'); return type(r)" 0
            EVAL "return redis.call('ping')" 0
            EVAL "return redis.call('echo', 'a\x00b')" 0
            EVAL "return redis.call('incrbyfloat', 'f', '1.5')" 0
            EVAL "redis.setresp(3); local r = redis.call('incrbyfloat', 'f', '1'); return type(r)" 0
            EVAL "redis.setresp(3); return type(redis.call('get', 'missing'))" 0
            EVAL "redis.setresp(2); return type(redis.call('get', 'missing'))" 0
            EVAL "redis.setresp(3); local r = redis.call('hello'); return type(r.map)" 0
            EVAL "redis.setresp(3); local r = redis.call('hello'); return r.map.proto" 0
            EVAL "local r = redis.call('hello'); return r[1]" 0
            EVAL "return redis.setresp(4)" 0
            EVAL "return redis.setresp()" 0
            EVAL "return redis.call('set', 'x', 1.5)" 0
            EVAL "redis.call('set', 'x', 0.1); return redis.call('get', 'x')" 0
            EVAL "redis.call('set', 'x', 100); return redis.call('get', 'x')" 0
            EVAL "return redis.call('set', 'x', true)" 0
            EVAL "return redis.call('set', 'x', {})" 0
            EVAL "return redis.call()" 0
            EVAL "return redis.pcall()" 0
            EVAL "return redis.call('select', 3)" 0
            EVAL "redis.call('select', 3); redis.call('set', 'db3', 'yes'); return 1" 0
            GET db3
            SELECT 3
            GET db3
            """#)
    }

    @Test func errorsFromCallAndPcall() async throws {
        try await Differential.check(#"""
            SET s notanumber
            EVAL "return redis.call('nosuch')" 0
            EVAL "return redis.pcall('nosuch')" 0
            EVAL "return redis.call('get')" 0
            EVAL "return redis.pcall('get')" 0
            EVAL "return redis.call('incr', 's')" 0
            EVAL "return redis.pcall('incr', 's')" 0
            EVAL "return redis.call('set', 'a', 'b', 'c')" 0
            EVAL "return redis.call('config', 'nosuch')" 0
            EVAL "return redis.call('eval', 'return 1', '0')" 0
            EVAL "return redis.call('multi')" 0
            EVAL "return redis.call('script', 'load', 'return 1')" 0
            EVAL "return redis.call('subscribe', 'ch')" 0
            EVAL "local ok, err = pcall(redis.call, 'nosuch'); return {tostring(ok), err}" 0
            EVAL "local ok, err = pcall(function() return redis.call('incr', 's') end); return {tostring(ok), err}" 0
            EVAL "local ok, err = pcall(function() local ok2, e2 = pcall(error, 'deep'); error('outer ' .. e2) end); return err" 0
            EVAL "local ok, err = pcall(error, {err='tbl'}); return err" 0
            EVAL "local ok, err = pcall(error, 'plain'); return err" 0
            EVAL "return {pcall(redis.call, 'nosuch')}" 0
            EVAL "error('boom')" 0
            EVAL "error('boom', 0)" 0
            EVAL "error({err='TABLEERR custom'})" 0
            EVAL "error('a\\nb')" 0
            EVAL "error({err='x\\r\\ny'})" 0
            EVAL "return {err='p\\r\\nq'}" 0
            EVAL "return redis.error_reply('a\\nb')" 0
            EVAL "error('a\\0b')" 0
            EVAL "return {ok='a\\0b'}" 0
            EVAL "return {err='a\\0b'}" 0
            EVAL "return 'a\\0b'" 0
            # error({}) is left out: it crashes redis-server 7.0.15 (a NULL message).
            EVAL "error()" 0
            EVAL "error(12)" 0
            EVAL "local t = nil; return t.x" 0
            EVAL "return 1 + {}" 0
            EVAL "return 1 +" 0
            EVAL "return 'unterminated" 0
            EVAL "\n\nerror('line three')" 0
            EVAL "return redis.call('incr', 's')" 0
            EVAL "return redis.log(redis.LOG_WARNING, 'logged')" 0
            EVAL "return redis.log(1)" 0
            EVAL "return redis.log('x', 'y')" 0
            EVAL "return redis.log(9, 'y')" 0
            EVAL "return redis.set_repl(redis.REPL_ALL)" 0
            EVAL "return redis.set_repl(99)" 0
            EVAL "return redis.set_repl()" 0
            EVAL "return redis.replicate_commands()" 0
            EVAL "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}" 0
            EVAL "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
            EVAL "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}" 0
            EVAL "return redis.acl_check_cmd('get', 'k')" 0
            EVAL "return redis.acl_check_cmd('nosuch')" 0
            EVAL "return redis.acl_check_cmd()" 0
            EVAL "return redis.breakpoint()" 0
            EVAL "return redis.debug('x')" 0
            EVAL "return redis.call('set', KEYS[1], 'v')" 0
            EVAL "return redis.call('set', 'k', 1e20)" 0
            GET k
            EVAL "return redis.call('config')" 0
            MULTI
            EVALSHA ffffffffffffffffffffffffffffffffffffffff 0
            EVAL "return redis.call('incr', 'm')" 0
            EVAL "return redis.call('nosuch')" 0
            EXEC
            """#)
    }

    @Test func sandbox() async throws {
        try await Differential.check(#"""
            EVAL "x = 1" 0
            EVAL "return undefinedvar" 0
            EVAL "return _G.nothing" 0
            EVAL "rawset(_G, 'x', 1)" 0
            EVAL "string.x = 1" 0
            EVAL "redis.call = nil" 0
            EVAL "math.pi = 3" 0
            EVAL "table.insert = nil" 0
            EVAL "return loadfile" 0
            EVAL "return dofile" 0
            EVAL "return print" 0
            EVAL "return os" 0
            EVAL "return io" 0
            EVAL "return require" 0
            EVAL "return debug" 0
            EVAL "return package" 0
            EVAL "return type(string.format)" 0
            EVAL "local t = {}; t.a = 1; return t.a" 0
            EVAL "KEYS[1] = 'changed'; return KEYS[1]" 1 k
            EVAL "return string.format('%d-%s', 7, 'x')" 0
            EVAL "return table.concat({'a', 'b', 'c'}, ',')" 0
            EVAL "return math.floor(7.9)" 0
            EVAL "return tonumber('0x10')" 0
            EVAL "return tostring(12.5)" 0
            EVAL "return #string.rep('ab', 5)" 0
            EVAL "return ('abc'):upper()" 0
            EVAL "return select('#', 1, 2, 3)" 0
            EVAL "return unpack({1, 2})" 0
            EVAL "return _VERSION" 0
            EVAL "return loadstring('return 5')()" 0
            EVAL "local f = loadstring('y = 1'); f()" 0
            EVAL "return bit.band(0xff, 0x0f)" 0
            EVAL "return bit.bor(1, 2, 4)" 0
            EVAL "return bit.bxor(5, 3)" 0
            EVAL "return bit.bnot(0)" 0
            EVAL "return bit.lshift(1, 35)" 0
            EVAL "return bit.rshift(-1, 28)" 0
            EVAL "return bit.arshift(-256, 4)" 0
            EVAL "return bit.rol(0x12345678, 8)" 0
            EVAL "return bit.ror(0x12345678, 8)" 0
            EVAL "return bit.bswap(0x12345678)" 0
            EVAL "return bit.tohex(255)" 0
            EVAL "return bit.tohex(-1, -4)" 0
            EVAL "return bit.tobit(2^32 + 5)" 0
            EVAL "return bit.band('x')" 0
            EVAL "local r = {} for k, v in pairs(_G) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(string) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(redis) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(math) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(table) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(coroutine) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(bit) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(struct) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local r = {} for k, v in pairs(cmsgpack) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "return type(rawget(_G, 'redis'))" 0
            EVAL "return rawget(_G)" 0
            EVAL "return select('#', next({}))" 0
            EVAL "return next({}, 'nokey')" 0
            EVAL "return pairs()" 0
            EVAL "return {next({5})}" 0
            EVAL "return type(__redis__err__handler)" 0
            EVAL "return getfenv" 0
            EVAL "return setfenv" 0
            EVAL "return newproxy" 0
            EVAL "return coroutine.wrap(function() coroutine.yield(5) end)()" 0
            EVAL "return xpcall(function() error('x') end, function(e) return 'handled: ' .. e end)" 0
            EVAL "return {pcall(setmetatable, _G, nil)}" 0
            EVAL "setmetatable(string, {})" 0
            EVAL "return setmetatable(1, {})" 0
            EVAL "return setmetatable({}, 1)" 0
            EVAL "local t = setmetatable({}, {__index = function(t, k) return k .. '!' end}) return t.x" 0
            EVAL "local t = setmetatable({}, {__metatable = 'locked'}) return {pcall(setmetatable, t, {})}" 0
            EVAL "local t = setmetatable({}, {__metatable = 'locked'}) return getmetatable(t)" 0
            """#)
    }

    @Test func readOnlyScriptsAndBlocking() async throws {
        try await Differential.check(#"""
            SET k v
            EVAL_RO "return redis.call('get', KEYS[1])" 1 k
            EVAL_RO "return redis.call('set', KEYS[1], 'x')" 1 k
            EVAL_RO "return redis.pcall('del', KEYS[1])" 1 k
            EVAL_RO "return redis.call('incr', 'n')" 0
            GET k
            SCRIPT LOAD "return redis.call('set', KEYS[1], ARGV[1])"
            EVALSHA_RO 55b22c0d0cedf3866879ce7c854970626dcef0c3 1 k w
            EVALSHA 55b22c0d0cedf3866879ce7c854970626dcef0c3 1 k w
            GET k
            MULTI
            EVAL "return redis.call('incr', KEYS[1])" 1 cnt
            EVAL "return redis.call('incr', KEYS[1])" 1 cnt
            EXEC
            GET cnt
            """#)
    }

    @Test func cjson() async throws {
        try await Differential.check(#"""
            EVAL "return cjson.encode({1, 2, 3})" 0
            EVAL "return cjson.encode({a=1, b='x/y', c={true, false}})" 0
            EVAL "return cjson.encode({})" 0
            EVAL "return cjson.encode('q\"b\\\\c\n\1\127')" 0
            EVAL "return cjson.encode(0.1)" 0
            EVAL "return cjson.encode(1/3)" 0
            EVAL "return cjson.encode({[1]=1, [100]=2})" 0
            EVAL "return cjson.encode({[0]=1})" 0
            EVAL "return cjson.encode({1, nil, 3})" 0
            EVAL "return cjson.encode(print)" 0
            EVAL "return cjson.encode({[true]=1})" 0
            EVAL "return cjson.encode()" 0
            EVAL "return cjson.encode(1, 2)" 0
            EVAL "return cjson.encode(cjson.null)" 0
            EVAL "return cjson.encode(1/0)" 0
            EVAL "local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end return cjson.encode(t)" 0
            EVAL "return cjson.decode('[1,2,3]')" 0
            EVAL "return cjson.decode('{\"a\":[1,{\"b\":2}]}').a[2].b" 0
            EVAL "return cjson.decode('{')" 0
            EVAL "return cjson.decode('[1,]')" 0
            EVAL "return cjson.decode('[1 2]')" 0
            EVAL "return cjson.decode('[1,2')" 0
            EVAL "return cjson.decode('{\"a\" 1}')" 0
            EVAL "return cjson.decode('\"\\u00e9\\ud83d\\ude00\"')" 0
            EVAL "return cjson.decode('\"\\x\"')" 0
            EVAL "return cjson.decode('\"abc')" 0
            EVAL "return cjson.decode('nul')" 0
            EVAL "return cjson.decode('0x10')" 0
            EVAL "return cjson.decode('01')" 0
            EVAL "return cjson.decode('[1] x')" 0
            EVAL "return cjson.decode('')" 0
            EVAL "return cjson.decode()" 0
            EVAL "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))" 0
            EVAL "return type(cjson.decode('null'))" 0
            EVAL "return cjson.decode('null') == cjson.null" 0
            EVAL "return cjson.decode(' -1.5e3 ')" 0
            EVAL "return cjson.encode(cjson.decode('{\"k\":[1,2,{\"z\":null}]}'))" 0
            EVAL "return {cjson._NAME, cjson._VERSION}" 0
            EVAL "return {cjson.encode_max_depth(), cjson.decode_max_depth(), cjson.encode_keep_buffer(), cjson.encode_number_precision()}" 0
            EVAL "return cjson.encode_invalid_numbers()" 0
            EVAL "return cjson.decode_invalid_numbers()" 0
            EVAL "return cjson.encode_max_depth(0)" 0
            EVAL "return cjson.encode_number_precision(15)" 0
            EVAL "return cjson.encode_invalid_numbers('x')" 0
            EVAL "return cjson.encode_number_precision(3)" 0
            EVAL "return cjson.encode(1/3)" 0
            EVAL "return cjson.encode_invalid_numbers('null')" 0
            EVAL "return cjson.encode({1/0})" 0
            EVAL "return {cjson.encode_sparse_array(true, 3, 5)}" 0
            EVAL "return cjson.encode({[1]=1, [100]=2})" 0
            EVAL "cjson.x = 1" 0
            EVAL "local r = {} for k, v in pairs(cjson) do r[#r + 1] = k end table.sort(r) return r" 0
            EVAL "local c = cjson.new() c.encode_number_precision(5) return {c.encode(1/3), cjson.encode(1/3)}" 0
            EVAL "local c = cjson.new() return {c.encode({1, 'a'}), c._VERSION, type(c.new)}" 0
            EVAL "return cjson.new().encode(1/3)" 0
            EVAL "local c = cjson.new() c.x = 1 return c.x" 0
            SCRIPT FLUSH
            EVAL "return cjson.encode(1/3)" 0
            SET doc "{\"n\":1}"
            EVAL "local d = cjson.decode(redis.call('get', KEYS[1])) d.n = d.n + 1 redis.call('set', KEYS[1], cjson.encode(d)) return d.n" 1 doc
            GET doc
            """#)
    }

    /// Self-referencing tables nest until Lua's stack limit; the replies are too deep for the
    /// script runner's parser, so the raw bytes up to QUIT's reply are compared instead.
    /// With the depth limits raised, cjson stops where Lua's stack does (7998 to encode, 7999 to
    /// decode), as in Redis; cmsgpack packs and unpacks the same deep tables.
    @Test func deepNestingStopsAtLuasStackLimit() async throws {
        let deep = "local t = {} local c = t for i = 1, ARGV[1] do c[1] = {} c = c[1] end "
        try await Differential.check("""
            EVAL "cjson.encode_max_depth(20000) \(deep) local ok, e = pcall(cjson.encode, t) return {tostring(ok), string.sub(e, -50)}" 0 7000
            EVAL "cjson.encode_max_depth(20000) \(deep) local ok, e = pcall(cjson.encode, t) return {tostring(ok), string.sub(e, -50)}" 0 9000
            EVAL "cjson.decode_max_depth(20000) local ok, e = pcall(cjson.decode, string.rep('[', ARGV[1]) .. string.rep(']', ARGV[1])) return {tostring(ok), type(e) == 'string' and e or 'table'}" 0 7000
            EVAL "cjson.decode_max_depth(20000) local ok, e = pcall(cjson.decode, string.rep('[', ARGV[1]) .. string.rep(']', ARGV[1])) return {tostring(ok), type(e) == 'string' and e or 'table'}" 0 9000
            EVAL "\(deep) local ok, p = pcall(cmsgpack.pack, t) local ok2, u = pcall(cmsgpack.unpack, p) return {tostring(ok), #p, tostring(ok2), type(u)}" 0 20000
            """)
    }

    @Test func selfReferencingTablesHitTheStackLimitLikeRedis() async throws {
        let pair = try await DifferentialPair()
        let scripts = [
            "local t = {} t[1] = t return t",
            "local t = {} t.map = t return t",
            "local t = {} t.set = {} t.set[t] = true return t",
            "local t = {} t.map = {x=t, y=1} return t",
            "local t = {} t.map = {} t.map[1] = t return t",
        ]
        var failure: (any Error)?
        do {
            for version in ["2", "3"] {
                for script in scripts {
                    var replies: [[UInt8]] = []
                    for port in [pair.redis.port, pair.roost.port] {
                        let connection = try RawConnection(port: port)
                        try connection.send(command: [Array("HELLO".utf8), Array(version.utf8)])
                        _ = try connection.readReply()
                        try connection.send(command: [Array("EVAL".utf8), Array(script.utf8), Array("0".utf8)])
                        try connection.send(command: [Array("QUIT".utf8)])
                        replies.append(try connection.readUntilClosed())
                    }
                    #expect(replies[0].count > 1000, "RESP\(version) \(script)")
                    #expect(replies[0] == replies[1], "RESP\(version) \(script)")
                }
            }
        } catch {
            failure = error
        }
        await pair.stop()
        if let failure { throw failure }
    }

    @Test func cmsgpack() async throws {
        try await Differential.check(#"""
            EVAL "return cmsgpack.pack(1, 2)" 0
            EVAL "return cmsgpack.pack(string.rep('a', 40))" 0
            EVAL "return cmsgpack.pack(string.rep('a', 300))" 0
            EVAL "return cmsgpack.pack({1, 2, 3}, {a=1}, {}, true, false, nil)" 0
            EVAL "return cmsgpack.pack(0.5, 0.1, -1, -33, -200, -40000, -3000000000, 200, 70000, 5000000000, 1e300, 1/0)" 0
            EVAL "local t = {} t[1] = t return cmsgpack.pack(t)" 0
            EVAL "return cmsgpack.pack({[1]=1, [3]=3})" 0
            EVAL "return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, {four=4}}, true))}" 0
            EVAL "local a, b, c = cmsgpack.unpack(cmsgpack.pack(0.1, -5, 2^40)) return {tostring(a), b, c}" 0
            EVAL "return {cmsgpack.unpack(ARGV[1])}" 0 "\xc4\x01a"
            EVAL "return {cmsgpack.unpack(ARGV[1])}" 0 "\xcf\xff\xff\xff\xff\xff\xff\xff\xff"
            EVAL "return {cmsgpack.unpack(ARGV[1])}" 0 "\xca\x3f\xc0\x00\x00\xd1\x80\x00"
            EVAL "return cmsgpack.pack()" 0
            EVAL "return cmsgpack.unpack()" 0
            EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 1)}" 0
            EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3))}" 0
            EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2)}" 0
            EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), -1)}" 0
            EVAL "return {cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3))}" 0
            EVAL "return {cmsgpack.unpack_one(cmsgpack.pack(1, 2, 3), 10)}" 0
            EVAL "return {cmsgpack.unpack('\145')}" 0
            EVAL "return {cmsgpack.unpack('\129\192\1')}" 0
            EVAL "return cmsgpack.unpack('')" 0
            EVAL "return {cmsgpack.unpack_one('', 0)}" 0
            EVAL "return {cmsgpack._NAME, cmsgpack._VERSION}" 0
            EVAL "cmsgpack.pack = nil" 0
            EVAL "return cmsgpack.unpack(cmsgpack.pack({[1.5]='f', x={y={z={}}}})).x.y.z" 0
            EVAL "return #{cmsgpack.unpack(string.rep(string.char(145), 100000))}" 0
            EVAL "local ok, e = pcall(cmsgpack.unpack, string.rep(string.char(129, 1), 3000)) return e" 0
            EVAL "return cjson.encode(cmsgpack.unpack(cmsgpack.pack({1, {2, {3, {}}, {a={b={}}}}, {}, {x=1}})))" 0
            EVAL "return cjson.encode({cmsgpack.unpack(cmsgpack.pack({}, {{}}, {[1]={}}, 5))})" 0
            EVAL "return cjson.encode(cmsgpack.unpack(string.char(0x82, 0x90, 0x80, 0x91, 0x90, 0x91, 0x80)))" 0
            """#)
    }

    @Test func structLibrary() async throws {
        try await Differential.check(#"""
            EVAL "return struct.pack('>i4', 1)" 0
            EVAL "return struct.pack('i3', 1)" 0
            EVAL "return struct.pack('i40', 1)" 0
            EVAL "return struct.pack('q', 1)" 0
            EVAL "return struct.pack('!3i', 1)" 0
            EVAL "return struct.size('>i4hb')" 0
            EVAL "return struct.size('s')" 0
            EVAL "return struct.size('c0')" 0
            EVAL "return struct.size('T')" 0
            EVAL "return struct.size('i99999999999')" 0
            EVAL "return struct.size('!16 b d')" 0
            EVAL "return struct.size('! b d')" 0
            EVAL "return {struct.unpack('>i4', ARGV[1])}" 0 "\x00\x00\x00\x05"
            EVAL "return {struct.unpack('>i4', ARGV[1])}" 0 "\x00\x00"
            EVAL "return {struct.unpack('c0', 'abc')}" 0
            EVAL "return {struct.unpack('bc0', ARGV[1])}" 0 "\x02ab"
            EVAL "return {struct.unpack('s', 'abc')}" 0
            EVAL "return {struct.unpack('s', ARGV[1])}" 0 "ab\x00c"
            EVAL "return struct.pack('c5', 'ab')" 0
            EVAL "return struct.pack('i', 'x')" 0
            EVAL "return struct.pack()" 0
            EVAL "return struct.pack('<I2', 70000)" 0
            EVAL "return {struct.unpack('<h', struct.pack('<h', -2))}" 0
            EVAL "return {struct.unpack('>d', struct.pack('>d', 1.5))}" 0
            EVAL "return {struct.unpack('<f', struct.pack('<f', 0.25))}" 0
            EVAL "return {struct.unpack('!4 b i', struct.pack('!4 b i', 1, 2))}" 0
            EVAL "return struct.pack('l', 2^63)" 0
            EVAL "return struct.pack('i17', 1)" 0
            EVAL "return {struct.unpack('i4', ARGV[1], 2)}" 0 "\x01\x00\x00\x00"
            EVAL "return {struct.unpack('i4', ARGV[1], -5)}" 0 "\x01\x00\x00\x00"
            EVAL "return struct.pack('>I', -1)" 0
            EVAL "return struct.pack('! b d', 1, 2)" 0
            EVAL "return struct.pack('s', 'hi')" 0
            EVAL "return struct.pack('c0', 'hello')" 0
            EVAL "return {struct.unpack('>H', ARGV[1])}" 0 "\xff\xfe"
            EVAL "return {struct.unpack('>h', ARGV[1])}" 0 "\xff\xfe"
            EVAL "return {struct.unpack('>xxb', ARGV[1])}" 0 "\x01\x02\x03"
            EVAL "return struct.pack('>h', -1.7)" 0
            EVAL "struct.pack = nil" 0
            """#)
    }

    @Test func functionsLoadAndCall() async throws {
        try await Differential.check(#"""
            FUNCTION LOAD "#!lua name=t1\nredis.register_function('a-b', function() end)"
            FUNCTION LOAD "#!lua name=t2\nredis.register_function('f')"
            FUNCTION LOAD "#!lua name=t3\nredis.register_function('f', 1)"
            FUNCTION LOAD "#!lua name=t4\nredis.register_function()"
            FUNCTION LOAD "#!lua name=t5\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"
            FUNCTION LOAD "#!lua name=t6\nredis.register_function{function_name='f'}"
            FUNCTION LOAD "#!lua name=t7\nredis.register_function{callback=function() end}"
            FUNCTION LOAD "#!lua name=t8\nredis.register_function{function_name='f', callback=function() end, foo=1}"
            FUNCTION LOAD "#!lua name=t9\nreturn +"
            FUNCTION LOAD "#!lua name=t10\nerror('x')"
            FUNCTION LOAD "#!lua name=t10\nredis.call('ping')"
            FUNCTION LOAD "#!lua name=t10\nredis.register_function('dup', function() end) redis.register_function('dup', function() end)"
            FUNCTION LOAD "#!lua name=t10\nreturn 1"
            FUNCTION LOAD "return 1"
            FUNCTION LOAD "#!lua"
            FUNCTION LOAD "#!lua\nreturn 1"
            FUNCTION LOAD "#!js name=x\nreturn 1"
            FUNCTION LOAD "#!lua name=x foo=bar\nreturn 1"
            FUNCTION LOAD "#!lua name=a name=b\nreturn 1"
            FUNCTION LOAD "#!lua name=\nreturn 1"
            FUNCTION LOAD "#!lua name=t@\nreturn 1"
            FUNCTION LOAD bogus "x"
            FUNCTION LOAD
            FUNCTION LOAD "#!lua name=t11\nredis.register_function('f11', function(k, a) error('boom') end)"
            FCALL f11 0
            FUNCTION LOAD "#!lua name=t12\nredis.register_function('f12', function(k, a) return redis.call('nosuch') end)"
            FCALL f12 0
            FUNCTION LOAD "#!lua name=t13\nredis.register_function('f13', function(k, a) return redis.register_function('x', function() end) end)"
            FCALL f13 0
            FUNCTION LOAD "#!lua name=t14\nredis.register_function('f14', function(k, a) return {x, KEYS} end)"
            FCALL f14 0
            FUNCTION LOAD "#!lua name=t1\nredis.register_function('f1', function() return 1 end)"
            FUNCTION LOAD "#!lua name=t1\nredis.register_function('f1', function() return 2 end)"
            FCALL f1 0
            FUNCTION LOAD REPLACE "#!lua name=t1\nredis.register_function('f1', function() return 2 end)"
            FCALL f1 0
            FUNCTION LOAD REPLACE "#!lua name=t1\nredis.register_function('f11', function() return 2 end)"
            FUNCTION LOAD "#!lua name=t21\nredis.register_function{function_name='ro', callback=function(keys, args) return redis.call('get', keys[1]) end, flags={'no-writes'}, description='desc'}\nredis.register_function('rw', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
            FCALL_RO ro 1 k
            FCALL_RO rw 1 k v
            FCALL rw 1 k v
            FCALL ro 1 k
            FCALL rw 2 k
            FCALL rw -1
            FCALL rw x
            FCALL nosuch 0
            FCALL
            FUNCTION DELETE t21
            FUNCTION DELETE t21
            FUNCTION DELETE
            FCALL ro 1 k
            FUNCTION LOAD "#!lua name=t22\nif redis.log then redis.register_function('yes', function() return #redis.REDIS_VERSION end) end"
            FCALL yes 0
            FUNCTION LOAD "#!lua name=t24\nlocal function helper() return 5 end\nredis.register_function('q2', function(keys, args) return {helper(), keys[1], args[1], #args} end)"
            FCALL q2 1 a b c
            FUNCTION LOAD "#!lua name=t25\nredis.register_function('q3', function() redis.setresp(3) return redis.call('hello') end)"
            FCALL q3 0
            FUNCTION FLUSH bogus
            FUNCTION FLUSH async extra
            FUNCTION FLUSH
            FCALL f1 0
            FUNCTION FLUSH SYNC
            GET k
            """#)
    }

    @Test func functionListStatsAndHelp() async throws {
        try await Differential.check(#"""
            FUNCTION LIST
            FUNCTION STATS
            FUNCTION LOAD "#!lua name=lib1\nredis.register_function{function_name='f1', callback=function() return 1 end, flags={'allow-oom', 'no-writes'}, description='d1'}"
            FUNCTION LOAD "#!lua name=other\nredis.register_function('g', function() return 1 end)"
            ~FUNCTION LIST
            ~FUNCTION LIST WITHCODE
            FUNCTION LIST LIBRARYNAME l*
            FUNCTION LIST WITHCODE LIBRARYNAME oth*
            FUNCTION LIST LIBRARYNAME nomatch
            FUNCTION LIST foo
            FUNCTION LIST libraryname
            FUNCTION LIST withcode withcode
            FUNCTION LIST libraryname x libraryname y
            FUNCTION STATS
            FUNCTION KILL
            FUNCTION HELP
            ?HELLO 3
            FUNCTION LIST LIBRARYNAME lib1
            FUNCTION STATS
            """#)
    }

    /// The same scripts under a RESP2 client, then under a RESP3 one.
    static let conversionScript = #"""
            EVAL "redis.setresp(3) return redis.call('config', 'get', 'maxmemory')" 0
            EVAL "redis.setresp(3) local r = redis.call('config', 'get', 'maxmemory') return r.map.maxmemory" 0
            EVAL "return redis.call('config', 'get', 'maxmemory')" 0
            EVAL "redis.setresp(3) return {map={a={double=1.5}, b={big_number='1'}}, set={x=true}}" 0
            EVAL "redis.setresp(3) return redis.call('echo', 'x')" 0
            EVAL "redis.setresp(3) return redis.call('ping')" 0
            EVAL "redis.setresp(3) return redis.pcall('incr', 'nokey', 'x')" 0
            EVAL "return {1, {2, {3, {err='deep'}}}}" 0
            EVAL "redis.setresp(3) return {map={[1]='one', [true]='t'}}" 0
            EVAL "return {map={}}" 0
            EVAL "return {set={}}" 0
            EVAL "return {double=-0.0}" 0
            EVAL "return {double=1e308*10}" 0
            EVAL "return {double=123456789.123}" 0
            EVAL "return {big_number='12\r\n3'}" 0
            EVAL "return {verbatim_string={format='markdown', string='x'}}" 0
            EVAL "return {verbatim_string={format='m', string='x'}}" 0
            EVAL "return {err={1}}" 0
            EVAL "return {ok=5}" 0
            EVAL "return {ok='x', err='y'}" 0
            EVAL "return 9007199254740993" 0
            EVAL "return -9223372036854775808" 0
            EVAL "return 2^63" 0
            EVAL "return -0.5" 0
        """#

    @Test func conversionsInBothProtocols() async throws {
        let compared = try await Differential.check(Self.conversionScript + "\n?HELLO 3\n" + Self.conversionScript)
        #expect(compared == 49)
    }

    @Test func commonScriptIdioms() async throws {
        try await Differential.check(#"""
            EVAL "return redis.call('mset', unpack(ARGV))" 0 a 1 b 2 c 3
            EVAL "return redis.call('mget', unpack(ARGV))" 0 a 1 b 2 c 3
            EVAL "return redis.call('del', unpack(ARGV))" 0 a 1 b 2 c 3
            EVAL "local t = {} for i = 1, 7000 do t[i] = 'k' .. i end return redis.call('del', unpack(t))" 0 a 1 b 2 c 3
            EVAL "local t = {} for i = 1, 9000 do t[i] = i end return #{unpack(t)}" 0 a 1 b 2 c 3
            EVAL "return type(redis.call('time'))" 0 a 1 b 2 c 3
            EVAL "return #redis.call('time')" 0 a 1 b 2 c 3
            EVAL "return tonumber(redis.call('get', 'nokey'))" 0 a 1 b 2 c 3
            EVAL "redis.call('set', 'x', 10) redis.call('pexpire', 'x', 100000) return redis.call('pttl', 'x') > 0" 0 a 1 b 2 c 3
            EVAL "return redis.call('type', 'x')" 0 a 1 b 2 c 3
            EVAL "return redis.call('type', 'x').ok" 0 a 1 b 2 c 3
            EVAL "return redis.call('exists', 'x', 'nokey')" 0 a 1 b 2 c 3
            EVAL "return {1e15, 1e16, 123456789012}" 0 a 1 b 2 c 3
            EVAL "return tostring(0.1)" 0 a 1 b 2 c 3
            EVAL "return string.gsub('hello world', 'o', '0')" 0 a 1 b 2 c 3
            EVAL "return {string.find('hello', 'l+')}" 0 a 1 b 2 c 3
            EVAL "local t = {3, 1, 2} table.sort(t, function(a, b) return a > b end) return t" 0 a 1 b 2 c 3
            EVAL "return redis.call('incrbyfloat', 'f', 0.1)" 0 a 1 b 2 c 3
            EVAL "return redis.call('setrange', 'sr', 3, 'abc')" 0 a 1 b 2 c 3
            EVAL "return redis.call('get', 'sr')" 0 a 1 b 2 c 3
            ~EVAL "return redis.call('keys', '*')" 0
            ~KEYS *
            """#)
    }

    @Test func mathRandomFollowsRedisSequence() async throws {
        try await Differential.check(#"""
            EVAL "return {math.random(1000000), math.random(1000000)}" 0
            EVAL "return math.random(1000000)" 0
            SCRIPT FLUSH
            EVAL "return math.random(1000000)" 0
            EVAL "return tostring(math.random())" 0
            EVAL "return math.random(5, 10)" 0
            EVAL "return math.random(-3, -1)" 0
            EVAL "math.randomseed(42) return {math.random(1000000), tostring(math.random())}" 0
            EVAL "math.randomseed(-7) return math.random(1000000)" 0
            EVAL "return math.random(0)" 0
            EVAL "return math.random(5, 1)" 0
            EVAL "return math.random(1, 2, 3)" 0
            EVAL "return math.random('x')" 0
            EVAL "return math.randomseed()" 0
            FUNCTION LOAD "#!lua name=rnd\nredis.register_function('rnd', function() return math.random(1000) end)"
            FCALL rnd 0
            EVAL "return math.random(1000)" 0
            """#)
    }

    @Test func shebangFlags() async throws {
        try await Differential.check(#"""
            EVAL "#!lua\nreturn 1" 0
            EVAL "#!lua flags=no-writes\nreturn redis.call('set','a','b')" 0
            EVAL "#!lua flags=no-writes\nreturn redis.call('get','a')" 0
            EVAL "#!lua  flags=no-writes,allow-oom\nreturn 2" 0
            EVAL "#!lua flags=\nreturn 3" 0
            EVAL "#!foo\nreturn 1" 0
            EVAL "#!lua flags=bogus\nreturn 1" 0
            EVAL "#!lua x=1\nreturn 1" 0
            EVAL "#!lua" 0
            SCRIPT LOAD "#!bad"
            EVAL "#!lua\nerror('e')" 0
            EVAL "#!lua\nreturn x" 0
            EVAL_RO "#!lua\nreturn 1" 0
            EVAL_RO "#!lua flags=no-writes,allow-stale,no-cluster,allow-cross-slot-keys,allow-oom\nreturn 1" 0
            EVAL "#!lua\nreturn redis.call('set','a','b')" 0
            GET a
            """#)
    }

    @Test func publishedScriptsRunUnchanged() async throws {
        // The Redlock release script and Spring Cloud Gateway's token-bucket rate limiter.
        try await Differential.check(#"""
            SET lock:res token-1
            EVAL "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"del\",KEYS[1]) else return 0 end" 1 lock:res token-2
            GET lock:res
            EVAL "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"del\",KEYS[1]) else return 0 end" 1 lock:res token-1
            EXISTS lock:res
            EVAL "if redis.call(\"get\",KEYS[1]) == ARGV[1] then return redis.call(\"del\",KEYS[1]) else return 0 end" 1 lock:res token-1
            EVAL "local tokens_key = KEYS[1] local timestamp_key = KEYS[2] local rate = tonumber(ARGV[1]) local capacity = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local requested = tonumber(ARGV[4]) local fill_time = capacity/rate local ttl = math.floor(fill_time*2) local last_tokens = tonumber(redis.call(\"get\", tokens_key)) if last_tokens == nil then last_tokens = capacity end local last_refreshed = tonumber(redis.call(\"get\", timestamp_key)) if last_refreshed == nil then last_refreshed = 0 end local delta = math.max(0, now-last_refreshed) local filled_tokens = math.min(capacity, last_tokens+(delta*rate)) local allowed = filled_tokens >= requested local new_tokens = filled_tokens local allowed_num = 0 if allowed then new_tokens = filled_tokens - requested allowed_num = 1 end if ttl > 0 then redis.call(\"setex\", tokens_key, ttl, new_tokens) redis.call(\"setex\", timestamp_key, ttl, now) end return { allowed_num, new_tokens }" 2 rl.tokens rl.ts 1 3 1000 2
            GET rl.tokens
            GET rl.ts
            TTL rl.tokens
            EVALSHA 3afe461d38bd6345b463f754d79c39c90eed7455 2 rl.tokens rl.ts 1 3 1000 2
            EVAL "local tokens_key = KEYS[1] local timestamp_key = KEYS[2] local rate = tonumber(ARGV[1]) local capacity = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local requested = tonumber(ARGV[4]) local fill_time = capacity/rate local ttl = math.floor(fill_time*2) local last_tokens = tonumber(redis.call(\"get\", tokens_key)) if last_tokens == nil then last_tokens = capacity end local last_refreshed = tonumber(redis.call(\"get\", timestamp_key)) if last_refreshed == nil then last_refreshed = 0 end local delta = math.max(0, now-last_refreshed) local filled_tokens = math.min(capacity, last_tokens+(delta*rate)) local allowed = filled_tokens >= requested local new_tokens = filled_tokens local allowed_num = 0 if allowed then new_tokens = filled_tokens - requested allowed_num = 1 end if ttl > 0 then redis.call(\"setex\", tokens_key, ttl, new_tokens) redis.call(\"setex\", timestamp_key, ttl, now) end return { allowed_num, new_tokens }" 2 rl.tokens rl.ts 1 3 1000 2
            GET rl.tokens
            EVAL "local tokens_key = KEYS[1] local timestamp_key = KEYS[2] local rate = tonumber(ARGV[1]) local capacity = tonumber(ARGV[2]) local now = tonumber(ARGV[3]) local requested = tonumber(ARGV[4]) local fill_time = capacity/rate local ttl = math.floor(fill_time*2) local last_tokens = tonumber(redis.call(\"get\", tokens_key)) if last_tokens == nil then last_tokens = capacity end local last_refreshed = tonumber(redis.call(\"get\", timestamp_key)) if last_refreshed == nil then last_refreshed = 0 end local delta = math.max(0, now-last_refreshed) local filled_tokens = math.min(capacity, last_tokens+(delta*rate)) local allowed = filled_tokens >= requested local new_tokens = filled_tokens local allowed_num = 0 if allowed then new_tokens = filled_tokens - requested allowed_num = 1 end if ttl > 0 then redis.call(\"setex\", tokens_key, ttl, new_tokens) redis.call(\"setex\", timestamp_key, ttl, now) end return { allowed_num, new_tokens }" 2 rl.tokens rl.ts 1 3 1003 1
            GET rl.tokens
            GET rl.ts
            ~KEYS *
            DBSIZE
            """#)
    }

    @Test func readOnlyScriptsRefuseCommandsThatMayReplicate() async throws {
        try await Differential.check(#"""
            EVAL_RO "return redis.call('publish','a','b')" 0
            EVAL_RO "return redis.call('spublish','a','b')" 0
            EVAL_RO "return redis.pcall('publish','a','b')" 0
            EVAL "return redis.call('publish','a','b')" 0
            """#)
    }

}
