import RoostTestSupport
import Testing

/// Hostile numbers in every script library (NaN, ±inf, ±2^63, 2^53 + 1, huge and negative
/// counts) and writes to the read-only sandbox, compared byte for byte with redis-server. Each
/// of these once stopped Roost with a Swift runtime trap, or leaked into later scripts; every
/// script ends with a PING, so a server that died fails the comparison too.
@Suite struct LuaHardeningDifferentialTests {
    @Test func bitLibrary() async throws {
        try await Differential.check(#"""
            EVAL "return bit.tohex(1, 2^31)" 0
            EVAL "return bit.tohex(1, -2^31)" 0
            EVAL "return bit.tohex(-1, 2^63)" 0
            EVAL "return bit.tohex(255, 0/0)" 0
            EVAL "return bit.tohex(255, 1/0)" 0
            EVAL "return bit.tohex(255, -1/0)" 0
            EVAL "return bit.tohex(255, -3)" 0
            EVAL "return bit.tohex(255, -9)" 0
            EVAL "return bit.tohex(2^53 + 1)" 0
            EVAL "return bit.tohex(255, 'x')" 0
            EVAL "return bit.tohex(-1, nil)" 0
            EVAL "return {bit.tobit(2^63), bit.tobit(-2^63), bit.tobit(0/0), bit.tobit(1/0), bit.tobit(-1/0)}" 0
            EVAL "return {bit.tobit(-0), bit.tobit(math.huge), bit.tobit(2^53 + 1), bit.tobit(2^31), bit.tobit(-2^31 - 1)}" 0
            EVAL "return {bit.lshift(1, 0/0), bit.lshift(1, 2^63), bit.rshift(-1, -2^63), bit.arshift(-1, 1/0)}" 0
            EVAL "return {bit.band(2^63, -2^63, 0/0), bit.bor(1/0, 1), bit.bxor(-0, 2^53 + 1), bit.bnot(0/0)}" 0
            EVAL "return {bit.bswap(1/0), bit.rol(1, -1), bit.ror(1, 2^32 + 1), bit.bswap(-2^63)}" 0
            EVAL "return tostring(bit.tobit(2^31))" 0
            EVAL "return bit.bor(-0, nil, 'x')" 0
            EVAL "return bit.band('y', 1, 'x')" 0
            PING
            """#)
    }

    @Test func redisAPINumbers() async throws {
        try await Differential.check(#"""
            EVAL "redis.log(0/0, 'x')" 0
            EVAL "redis.log(1/0, 'x')" 0
            EVAL "redis.log(-1/0, 'x')" 0
            EVAL "redis.log(2^32 + 1, 'x')" 0
            EVAL "redis.log(2^63, 'x')" 0
            EVAL "redis.log(-0.5, 'x')" 0
            EVAL "redis.log(3.9, 'x')" 0
            EVAL "redis.log('3', 'x')" 0
            EVAL "redis.setresp(0/0)" 0
            EVAL "redis.setresp(1/0)" 0
            EVAL "redis.setresp(2^32 + 2)" 0
            EVAL "redis.setresp(2.5)" 0
            EVAL "redis.setresp(3.9) return redis.call('hgetall', 'nokey')" 0
            EVAL "redis.setresp('3')" 0
            EVAL "redis.setresp('x')" 0
            EVAL "redis.setresp({})" 0
            EVAL "redis.set_repl(0/0)" 0
            EVAL "redis.set_repl(1/0)" 0
            EVAL "redis.set_repl(2^32 + 1)" 0
            EVAL "redis.set_repl(-1)" 0
            EVAL "redis.set_repl('x')" 0
            EVAL "return redis.call('set', 'k', 0/0)" 0
            GET k
            EVAL "return redis.call('set', 'k', -(0/0))" 0
            GET k
            EVAL "return redis.call('set', 'k', 1/0)" 0
            GET k
            EVAL "return redis.call('set', 'k', -1/0)" 0
            GET k
            EVAL "return redis.call('set', 'k', -0)" 0
            GET k
            EVAL "return redis.call('set', 'k', 2^63)" 0
            GET k
            EVAL "return redis.call('set', 'k', 2^53 + 1)" 0
            GET k
            EVAL "return redis.call('expire', 'k', 0/0)" 0
            EVAL "return redis.call('incrby', 'n', 2^63)" 0
            EVAL "return redis.call('INCRBY', KEYS[1], '-9223372036854775808')" 1 x
            EVAL "return redis.call('GET', KEYS[1])" 1 x
            EVAL "return redis.call('BITFIELD', 'bf', 'SET', 'i64', 0, '-9223372036854775808')" 0
            EVAL "return redis.call('BITFIELD', 'bf', 'GET', 'i64', 0)" 0
            EVAL "return redis.pcall('INCRBY', KEYS[1], -1)" 1 x
            EVAL "return {redis.sha1hex(1), redis.sha1hex(0/0), redis.sha1hex(1.5), redis.sha1hex(2^63), redis.sha1hex(-0)}" 0
            EVAL "return redis.sha1hex(nil)" 0
            EVAL "return redis.sha1hex({})" 0
            EVAL "return redis.error_reply(1)" 0
            EVAL "return redis.status_reply(0/0)" 0
            EVAL "return 0/0" 0
            EVAL "return {1/0, -1/0, 2^63, -2^63, 2^64, -0, 2^53 + 1, 1e300}" 0
            EVAL "return {double = 0/0}" 0
            EVAL "return tostring(0/0)" 0
            PING
            """#)
    }

    @Test func cjsonNumbers() async throws {
        try await Differential.check(#"""
            EVAL "return cjson.encode_max_depth(1/0)" 0
            EVAL "return cjson.encode_max_depth(0/0)" 0
            EVAL "return cjson.encode_max_depth(-1/0)" 0
            EVAL "return cjson.encode_max_depth(2^31)" 0
            EVAL "return cjson.encode_max_depth(2^63)" 0
            EVAL "return cjson.encode_max_depth(0.9)" 0
            EVAL "return cjson.encode_max_depth('x')" 0
            EVAL "return cjson.encode_max_depth(1, 2)" 0
            EVAL "return cjson.encode_max_depth(2^32 + 5)" 0
            EVAL "return cjson.encode({{{{{{1}}}}}})" 0
            EVAL "return cjson.encode_max_depth(2^31 - 1)" 0
            EVAL "return cjson.encode_max_depth(1.9)" 0
            EVAL "return cjson.encode({{1}})" 0
            EVAL "return cjson.encode_max_depth('1000')" 0
            EVAL "return cjson.decode_max_depth(0/0)" 0
            EVAL "return cjson.decode_max_depth(2^32 + 3)" 0
            EVAL "return cjson.decode('[[[1]]]')" 0
            EVAL "return cjson.decode('[[1]]')" 0
            EVAL "return cjson.decode_max_depth(1000)" 0
            EVAL "return cjson.encode_number_precision(0/0)" 0
            EVAL "return cjson.encode_number_precision(1/0)" 0
            EVAL "return cjson.encode_number_precision(15)" 0
            EVAL "return cjson.encode_number_precision(2^32 + 3)" 0
            EVAL "return cjson.encode({1/3, 2^53 + 1, -0})" 0
            EVAL "return cjson.encode_number_precision(14)" 0
            EVAL "return cjson.encode_sparse_array(true, 0/0, 1/0)" 0
            EVAL "return cjson.encode_sparse_array(true, 2^32 + 1, 2^33)" 0
            EVAL "return cjson.encode_sparse_array(true, 1, -1)" 0
            EVAL "return cjson.encode_sparse_array(false, 'x')" 0
            EVAL "return {cjson.encode_sparse_array(true)}" 0
            EVAL "return {cjson.encode_sparse_array('on', 3)}" 0
            EVAL "return {cjson.encode_sparse_array()}" 0
            EVAL "local t = {} t[2^40] = 1 return cjson.encode(t)" 0
            EVAL "return cjson.encode_sparse_array(false, 0)" 0
            EVAL "local t = {} t[2^40] = 1 return cjson.encode(t)" 0
            EVAL "local t = {} t[2^31] = 1 t[1] = 1 return cjson.encode(t)" 0
            EVAL "return cjson.encode_sparse_array(false, 2147483647, 0)" 0
            EVAL "local t = {1} t[4] = 4 return cjson.encode(t)" 0
            EVAL "local t = {1, 2} t[4] = 4 return cjson.encode(t)" 0
            EVAL "return cjson.encode_sparse_array(false, 2, 10)" 0
            EVAL "return cjson.encode_keep_buffer(0/0)" 0
            EVAL "return cjson.encode_keep_buffer(1)" 0
            EVAL "return cjson.encode_keep_buffer('on')" 0
            EVAL "return cjson.encode_invalid_numbers(1/0)" 0
            EVAL "return cjson.encode_keep_buffer(string.char(200))" 0
            EVAL "return cjson.encode_keep_buffer('on\0x')" 0
            EVAL "return cjson.encode_invalid_numbers('null\0')" 0
            EVAL "return cjson.encode_invalid_numbers('nul\0l')" 0
            EVAL "return cjson.encode({0/0})" 0
            EVAL "return cjson.encode_invalid_numbers('off')" 0
            EVAL "return cjson.encode({[1/0] = 1})" 0
            EVAL "return cjson.encode({[2^53] = 1, [1e300] = 2})" 0
            EVAL "return cjson.encode({0/0})" 0
            EVAL "return cjson.decode('[1e400, -1e400, 123456789012345678901234567890]')" 0
            EVAL "return #cjson.encode(cjson.decode(string.rep('[', 900) .. string.rep(']', 900)))" 0
            EVAL "return cjson.decode(string.rep('[', 1001) .. string.rep(']', 1001))" 0
            EVAL "return cjson.decode(string.rep('{\"a\":', 1001) .. '1' .. string.rep('}', 1001))" 0
            PING
            """#)
    }

    @Test func cmsgpackNumbers() async throws {
        try await Differential.check(#"""
            EVAL "return cmsgpack.unpack_one('\\1', 1/0)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 0/0)" 0
            EVAL "return cmsgpack.unpack_one('\\1', -1/0)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 2^32)" 0
            EVAL "return cmsgpack.unpack_one('\\1\\2', 2^32 + 1)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 2^63)" 0
            EVAL "return cmsgpack.unpack_one('\\1', -1)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 5)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 1.5)" 0
            EVAL "return cmsgpack.unpack_one('\\1', 'x')" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2', 0/0)" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2', -1)" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2', 1/0)" 0
            EVAL "return {cmsgpack.unpack_limit('\\1\\2', 2^32 + 1)}" 0
            EVAL "return {cmsgpack.unpack_limit('\\1\\2', 2^31)}" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2', 1, 0/0)" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2', 1, -5)" 0
            EVAL "return {cmsgpack.unpack_limit('\\1\\2', 0, 0)}" 0
            EVAL "return {cmsgpack.unpack_limit('\\1\\2', 0, 1)}" 0
            EVAL "return cmsgpack.unpack_limit('\\1\\2')" 0
            EVAL "return {cmsgpack.pack(0/0), cmsgpack.pack(1/0), cmsgpack.pack(-1/0), cmsgpack.pack(2^63)}" 0
            EVAL "return {cmsgpack.pack(-2^63), cmsgpack.pack(2^64), cmsgpack.pack(-2^64), cmsgpack.pack(-0)}" 0
            EVAL "return {cmsgpack.pack(2^53 + 1), cmsgpack.pack(1e300), cmsgpack.pack(-1e300), cmsgpack.pack(0.5)}" 0
            EVAL "return {cmsgpack.pack({[2^31] = 1}), cmsgpack.pack({[2^32 + 1] = 1}), cmsgpack.pack({[1] = 1, [2^32 + 2] = 1})}" 0
            EVAL "return cmsgpack.unpack('\xcf\xff\xff\xff\xff\xff\xff\xff\xff')" 0
            EVAL "return cmsgpack.unpack('\xd3\x80\x00\x00\x00\x00\x00\x00\x00')" 0
            EVAL "return cmsgpack.unpack('\xdd\xff\xff\xff\xff')" 0
            EVAL "return cmsgpack.unpack('\xdf\xff\xff\xff\xff')" 0
            EVAL "return cmsgpack.unpack('\xdb\xff\xff\xff\xff')" 0
            EVAL "return select('#', cmsgpack.unpack(string.rep('\\1', 10000)))" 0
            EVAL "return select('#', cmsgpack.unpack(string.rep('\\1', 7000)))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 5000) .. '\\1'))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1'))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep('\\145', 4000) .. '\\1'))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep(string.char(129, 1), 5000) .. string.char(1)))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep(string.char(129, 1), 3000) .. string.char(1)))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep(string.char(130, 1), 2666) .. string.char(1)))" 0
            EVAL "return #cmsgpack.pack(cmsgpack.unpack(string.rep(string.char(130, 1), 2667) .. string.char(1)))" 0
            PING
            """#)
    }

    @Test func structNumbers() async throws {
        try await Differential.check(#"""
            EVAL "return struct.unpack('b', 'x', 0/0)" 0
            EVAL "return struct.unpack('b', 'x', -2^63)" 0
            EVAL "return struct.unpack('b', 'x', 1/0)" 0
            EVAL "return struct.unpack('b', 'x', -1/0)" 0
            EVAL "return struct.unpack('b', 'x', 2^63)" 0
            EVAL "return struct.unpack('b', 'x', 2^64 + 4)" 0
            EVAL "return struct.unpack('b', 'x', -1)" 0
            EVAL "return struct.unpack('b', 'x', 0)" 0
            EVAL "return struct.unpack('b', 'x', 0.5)" 0
            EVAL "return struct.unpack('b', 'x', 'y')" 0
            EVAL "return {struct.unpack('b', 'xy', 2.7)}" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 1e300))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', -1))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 0/0))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 1/0))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', -1/0))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 2^63))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 2^64))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 1e19))" 0
            EVAL "return struct.unpack('>dc0', struct.pack('>d', 1.5) .. 'abc')" 0
            EVAL "return struct.unpack('c0', 'abc')" 0
            EVAL "return {struct.unpack('i17', string.rep('a', 20))}" 0
            EVAL "return {struct.unpack('i16', string.rep('\\255', 16))}" 0
            EVAL "return {struct.unpack('I16', string.rep('\\255', 16))}" 0
            EVAL "return {struct.unpack('i9', string.rep('\\173', 9))}" 0
            EVAL "return {struct.unpack('<i9', '\\255\\255\\255\\255\\255\\255\\255\\127\\1')}" 0
            EVAL "return {struct.unpack('>i32', string.rep('\\128', 32))}" 0
            EVAL "return {struct.unpack('i0', 'abc')}" 0
            EVAL "return {struct.unpack('i8', '\\0\\0\\0\\0\\0\\0\\0\\128')}" 0
            EVAL "return struct.pack('i17', 1)" 0
            EVAL "return struct.pack('>i17', -1)" 0
            EVAL "return struct.pack('i32', -1)" 0
            EVAL "return struct.pack('i33', -1)" 0
            EVAL "return struct.pack('i0', 1)" 0
            EVAL "return struct.pack('c-1', 'abc')" 0
            EVAL "return struct.unpack('c-1', 'abc')" 0
            EVAL "return struct.pack('s', 'abc')" 0
            EVAL "return struct.unpack('s', 'abc')" 0
            EVAL "return {struct.unpack('s', 'ab\\0c')}" 0
            EVAL "return struct.pack('c99999999999999999999', 'abc')" 0
            EVAL "return struct.pack('c2147483647', 'abc')" 0
            EVAL "return struct.pack('c2147483648', 'abc')" 0
            EVAL "return struct.unpack('c2147483647', 'abc')" 0
            EVAL "return struct.pack('!3', 1)" 0
            EVAL "return struct.pack('!16i', 1)" 0
            EVAL "return struct.pack('!0i', 1)" 0
            EVAL "return struct.pack('!2147483648i', 1)" 0
            EVAL "return struct.size('c2147483647c2147483647c2147483647c2147483647c2147483647')" 0
            EVAL "return {struct.size('i17'), struct.size('i32i32'), struct.size('!8bd')}" 0
            EVAL "return {struct.pack('b', 0/0), struct.pack('B', 1/0), struct.pack('l', -1/0), struct.pack('L', 2^64)}" 0
            EVAL "return {struct.pack('L', 2^63), struct.pack('l', -2^63), struct.pack('L', 1e300), struct.pack('l', -1e300)}" 0
            EVAL "return {struct.pack('<l', 0/0), struct.pack('<l', -(0/0)), struct.pack('i16', -1), struct.pack('f', 1e300)}" 0
            EVAL "return {struct.pack('>h', 2^53 + 1), struct.pack('<H', -1), struct.pack('d', -0)}" 0
            EVAL "return struct.pack('b', 'x')" 0
            EVAL "return select('#', struct.unpack(string.rep('b', 10000), string.rep('x', 10000)))" 0
            EVAL "return struct.pack(string.char(200))" 0
            EVAL "return struct.size(string.char(200))" 0
            EVAL "return struct.unpack(string.char(200), '')" 0
            EVAL "return select('#', struct.unpack(string.rep('b', 7990), string.rep('x', 10000)))" 0
            PING
            """#)
    }

    @Test func baseLibraryNumbers() async throws {
        try await Differential.check(#"""
            EVAL "return #string.rep('x', 2^31)" 0
            EVAL "return #string.rep('x', 1/0)" 0
            EVAL "return #string.rep('x', 0/0)" 0
            EVAL "return #string.rep('x', -1)" 0
            EVAL "return #string.rep('', 2^40)" 0
            EVAL "return #string.rep('x', 2^32 + 3)" 0
            EVAL "return string.format('%d', 2^63)" 0
            EVAL "return string.format('%d', 0/0)" 0
            EVAL "return string.sub('abc', 0/0)" 0
            EVAL "return string.char(0/0)" 0
            EVAL "return {unpack({1, 2, 3}, 0/0, 2)}" 0
            EVAL "return select('#', unpack({}, 1, 10000))" 0
            EVAL "return {unpack({1, 2, 3}, -0.5, 2^31 - 1)}" 0
            EVAL "return {unpack({1, 2, 3}, 0, 2^31 - 1)}" 0
            EVAL "return {unpack({1, 2, 3}, -2^31, 2^31 - 1)}" 0
            EVAL "return {unpack({1, 2, 3}, 2^31 - 1, 2^31 - 1)}" 0
            EVAL "return {unpack({1, 2, 3}, 2^31, 2)}" 0
            EVAL "return {unpack({1, 2, 3}, 2, 0/0)}" 0
            EVAL "return {unpack({1, 2, 3}, 1/0)}" 0
            EVAL "return {unpack({1, 2, 3}, nil, 2)}" 0
            EVAL "return {unpack({1, 2, 3})}" 0
            EVAL "return unpack({1, 2, 3}, 'x')" 0
            EVAL "return unpack('x')" 0
            EVAL "return unpack()" 0
            EVAL "return {struct.size(3), struct.size(1/0), struct.size('xyz9')}" 0
            EVAL "return struct.size(0.5)" 0
            EVAL "return struct.size(1e300)" 0
            EVAL "return loadstring('return 1 + 1')()" 0
            EVAL "return select(2, loadstring('return +'))" 0
            EVAL "return select(2, loadstring('return +', 'name'))" 0
            EVAL "return select(2, loadstring('return +', 'na\\0me'))" 0
            EVAL "return select(2, loadstring('return +\\0x'))" 0
            EVAL "return {pcall(loadstring('error(\\'boom\\')', 'chunk'))}" 0
            EVAL "return {pcall(loadstring('error(\\'boom\\')'))}" 0
            EVAL "return loadstring(5)" 0
            EVAL "return loadstring()" 0
            EVAL "return loadstring({})" 0
            EVAL "return loadstring('return 1', {})" 0
            EVAL "local parts = {'return ', '4', '2'} local i = 0 return load(function() i = i + 1 collectgarbage() return parts[i] end)()" 0
            EVAL "local n = 0 return {load(function() n = n + 1 if n == 1 then return 1 end end)}" 0
            EVAL "return select(2, load(function() error('reader') end))" 0
            EVAL "local m = select(2, load(function() error('reader') end)) return {type(m), m.err, m.source, m.line}" 0
            EVAL "local m = select(2, load(function() error({x = 1}) end)) return {type(m), m.err, m.x}" 0
            EVAL "return {pcall(load(function() return nil end, 'x\\0y'))}" 0
            EVAL "local n = 0 return select(2, load(function() n = n + 1 if n == 1 then return 'return +' end end, 'c\\0d'))" 0
            EVAL "return load('x')" 0
            EVAL "return load()" 0
            EVAL "return load(function() end, {})" 0
            EVAL "for i = 1, 200 do collectgarbage() local f = loadstring(string.rep('local a = {} ', 50) .. 'return ' .. i) assert(f() == i) end return 'ok'" 0
            EVAL "return tostring(math.random(0/0))" 0
            EVAL "return tostring(math.random(2^31))" 0
            EVAL "return tostring(math.random(2^32 + 5))" 0
            EVAL "return tostring(math.random(1, 0/0))" 0
            EVAL "return tostring(math.random(1, 2^40))" 0
            EVAL "return math.random(-2^31, 2^31 - 1)" 0
            EVAL "math.randomseed(0/0) return tostring(math.random())" 0
            EVAL "math.randomseed(2^32 + 7) return tostring(math.random())" 0
            EVAL "math.randomseed(7) return tostring(math.random())" 0
            EVAL "math.randomseed(1/0) return tostring(math.random(100))" 0
            PING
            """#)
    }

    @Test func sandboxRefusesWrites() async throws {
        try await Differential.check(#"""
            EVAL "getmetatable('').__index = function() return 1 end" 0
            EVAL "getmetatable('').x = 1" 0
            EVAL "local t = getmetatable('') t.__index.upper = nil" 0
            EVAL "local mt = getmetatable('') mt.__add = 1" 0
            EVAL "setmetatable(getmetatable(''), nil)" 0
            EVAL "rawset(getmetatable(''), '__index', 1)" 0
            EVAL "x = 1" 0
            EVAL "redis = nil" 0
            EVAL "string.rep = nil" 0
            EVAL "cjson.encode = 1" 0
            EVAL "bit.band = 1" 0
            EVAL "struct.pack = 1" 0
            EVAL "cmsgpack.pack = 1" 0
            EVAL "math.floor = 1" 0
            EVAL "rawset(_G, 'x', 1)" 0
            EVAL "rawset(string, 'x', 1)" 0
            EVAL "setmetatable(_G, nil)" 0
            EVAL "return {pcall(setmetatable, _G, nil)}" 0
            EVAL "getmetatable(_G).__index = nil" 0
            EVAL "getmetatable(_G).x = 1" 0
            EVAL "rawset(getmetatable(_G), 'x', 1)" 0
            EVAL "return getmetatable(_G)" 0
            EVAL "local mt = getmetatable(_G) return {type(mt.__index), type(mt.__newindex), tostring(rawequal(mt, getmetatable(_G))), type(mt.__metatable)}" 0
            EVAL "local r = {} for k, v in pairs(getmetatable(_G)) do r[#r + 1] = k .. '=' .. type(v) end return r" 0
            EVAL "local r = {} for k, v in pairs(getmetatable('')) do r[#r + 1] = k .. '=' .. type(v) end return r" 0
            EVAL "return {type(getmetatable(getmetatable(_G))), type(getmetatable(getmetatable('')))}" 0
            EVAL "return {type(getmetatable(string)), type(getmetatable(redis)), type(getmetatable(cjson)), type(getmetatable(bit))}" 0
            EVAL "return {type(getmetatable('')), type(getmetatable('').__index), tostring(getmetatable('').__index == string)}" 0
            EVAL "return {tostring(getmetatable('') == getmetatable('x')), rawequal(getmetatable(''), getmetatable(''))}" 0
            EVAL "return tostring(getmetatable('').__index.upper == string.upper)" 0
            EVAL "local mt = getmetatable('') return {tostring(rawget(mt, '__index') == string), rawget(mt, 'x')}" 0
            EVAL "return tostring(rawget(getmetatable(_G), '__index') ~= nil)" 0
            EVAL "return getmetatable()" 0
            EVAL "return getmetatable(nil)" 0
            EVAL "return getmetatable(1)" 0
            EVAL "local t = setmetatable({}, {__metatable = 'locked'}) return getmetatable(t)" 0
            EVAL "local mt = {} local t = setmetatable({}, mt) return rawequal(getmetatable(t), mt)" 0
            EVAL "return {pcall(function() getmetatable('').__index = 1 end)}" 0
            PING
            """#)
    }

    @Test func nothingPersistsToTheNextScript() async throws {
        try await Differential.check(#"""
            EVAL "getmetatable('').__index = function() return 1 end" 0
            EVAL "pcall(function() getmetatable('').__index = function() return 1 end end) return ('abc'):upper()" 0
            EVAL "return ('abc'):upper()" 0
            @2 EVAL "return ('abc'):upper()" 0
            EVAL "pcall(function() getmetatable('').__index.upper = function() return 'hacked' end end) return 1" 0
            @2 EVAL "return ('abc'):upper()" 0
            EVAL "pcall(function() x = 1 end) pcall(rawset, _G, 'y', 2) return 1" 0
            @2 EVAL "return x" 0
            @2 EVAL "return y" 0
            EVAL "pcall(function() string.rep = nil end) pcall(function() redis.call = nil end) return 1" 0
            @2 EVAL "return string.rep('a', 3)" 0
            @2 EVAL "return redis.call('ping')" 0
            EVAL "pcall(setmetatable, _G, nil) return 1" 0
            @2 EVAL "return nosuchglobal" 0
            EVAL "local t = getmetatable('') pcall(rawset, t, '__index', {}) return 1" 0
            @2 EVAL "return ('x'):rep(3)" 0
            @3 EVAL "return {('abc'):upper(), ('%d'):format(5), #getmetatable('').__index.rep('a', 4)}" 0
            PING
            """#)
    }

    @Test func functionsSandbox() async throws {
        try await Differential.check(#"""
            FUNCTION LOAD "#!lua name=l1\nredis.register_function('f', function() return type(getmetatable('')) end)"
            FCALL f 0
            FUNCTION LOAD "#!lua name=l2\nlocal mt = getmetatable('')\nredis.register_function('g', function() return 1 end)"
            FUNCTION LOAD "#!lua name=l3\nredis.register_function('h', function() getmetatable('').__index = function() return 1 end end)"
            FCALL h 0
            FUNCTION LOAD "#!lua name=l4\nredis.register_function('i', function() getmetatable('').x = 1 end)"
            FCALL i 0
            FUNCTION LOAD "#!lua name=l5\nredis.register_function('j', function() local t = getmetatable('') t.__index.upper = nil end)"
            FCALL j 0
            FUNCTION LOAD "#!lua name=l6\nredis.register_function('k', function() x = 1 end)"
            FCALL k 0
            FUNCTION LOAD "#!lua name=l7\nredis.register_function('m', function() redis = nil end)"
            FCALL m 0
            FUNCTION LOAD "#!lua name=l8\nredis.register_function('n', function() return ('abc'):upper() end)"
            FCALL n 0
            FUNCTION LOAD "#!lua name=l9\nx = 1"
            FUNCTION LOAD "#!lua name=l10\nredis.register_function('o', function() return getmetatable(_G) end)"
            FCALL o 0
            FUNCTION LOAD "#!lua name=l11\nredis.register_function('p', function() rawset(_G, 'x', 1) end)"
            FCALL p 0
            FUNCTION LOAD "#!lua name=l12\nredis.register_function('q', function() setmetatable(_G, nil) end)"
            FCALL q 0
            FUNCTION LOAD "#!lua name=l13\nredis.register_function('r', function() string.rep = nil end)"
            FCALL r 0
            FUNCTION LOAD "#!lua name=l14\nredis.register_function('s', function() bit.band = 1 end)"
            FCALL s 0
            FUNCTION LOAD "#!lua name=l15\nredis.register_function('t', function() cjson.encode = 1 end)"
            FCALL t 0
            FUNCTION LOAD "#!lua name=l16\nredis.register_function('u', function() return {type(getmetatable(string)), type(getmetatable(_G))} end)"
            FCALL u 0
            FUNCTION LOAD "#!lua name=l17\nredis.register_function('v', function() return tostring(bit.tohex(1, 2^31)) .. struct.unpack('b', 'x', 0/0) end)"
            FCALL v 0
            FCALL n 0
            EVAL "return ('abc'):upper()" 0
            PING
            """#)
    }
}
