/* Roost's view of the system Lua 5.1 (Debian liblua5.1-0-dev): the three public headers, plus
 * small inline wrappers for the API macros Swift cannot import, and a trampoline that lets a
 * Swift function raise a Lua error without longjmp crossing Swift frames. */
#ifndef ROOST_CLUA_SHIM_H
#define ROOST_CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

/* A Swift-implemented Lua function. It returns the number of results, or -1 after pushing an
 * error value, which the trampoline then raises from C. */
typedef int (*roost_lua_fn)(lua_State *L);

static int roost_lua_trampoline(lua_State *L) {
    roost_lua_fn f = (roost_lua_fn)lua_touserdata(L, lua_upvalueindex(1));
    int n = f(L);
    if (n < 0) return lua_error(L);
    return n;
}

/* Pushes a Lua function that runs `f` through the trampoline. */
static inline void roost_lua_pushfunction(lua_State *L, roost_lua_fn f) {
    lua_pushlightuserdata(L, (void *)f);
    lua_pushcclosure(L, roost_lua_trampoline, 1);
}

/* Pushes a Lua function that runs `f` through the trampoline, with the `n` values on top of the
 * stack (popped) as its upvalues 2...n+1. */
static inline void roost_lua_pushclosure(lua_State *L, roost_lua_fn f, int n) {
    lua_pushlightuserdata(L, (void *)f);
    lua_insert(L, -(n + 1));
    lua_pushcclosure(L, roost_lua_trampoline, n + 1);
}

static inline void roost_lua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void roost_lua_newtable(lua_State *L) { lua_newtable(L); }
static inline int roost_lua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int roost_lua_istable(lua_State *L, int i) { return lua_istable(L, i); }
static inline void roost_lua_setglobal(lua_State *L, const char *name) { lua_setglobal(L, name); }
static inline void roost_lua_getglobal(lua_State *L, const char *name) { lua_getglobal(L, name); }
static inline int roost_lua_upvalueindex(int i) { return lua_upvalueindex(i); }

/* Opens one standard library the way lua.c does: through lua_call, so it runs as a Lua call. */
static inline void roost_lua_openlib(lua_State *L, lua_CFunction open, const char *name) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
}

/* The instruction-count and line hook behind script timeouts. The decider, written in Swift, runs
 * in the hook; it returns 1 after pushing an error value, which the hook then raises from C. */
typedef int (*roost_lua_hook_decider)(lua_State *L, int event);

/* The decider lives in the registry, keyed by the hook's own address. */
static void roost_lua_hook(lua_State *L, lua_Debug *ar) {
    lua_pushlightuserdata(L, (void *)roost_lua_hook);
    lua_rawget(L, LUA_REGISTRYINDEX);
    roost_lua_hook_decider decider = (roost_lua_hook_decider)lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (decider != NULL && decider(L, ar->event) == 1) lua_error(L);
}

/* Installs the hook with `mask` and `count` (mask 0 removes it). */
static inline void roost_lua_sethook(lua_State *L, roost_lua_hook_decider decider, int mask, int count) {
    if (mask != 0) {
        lua_pushlightuserdata(L, (void *)roost_lua_hook);
        lua_pushlightuserdata(L, (void *)decider);
        lua_rawset(L, LUA_REGISTRYINDEX);
    }
    lua_sethook(L, mask == 0 ? NULL : roost_lua_hook, mask, count);
}

#endif
