--[[ meter.lua: the standard library's C loops, charged to the instruction budget.

The count hook sees VM instructions only: a C function runs inside one of them, however
long it loops. Each wrapper here estimates the work its arguments imply (a count, a range,
the length of a string, the digits a format asks for) and charges it before calling the C
function, so a call that would go over the budget never starts. Where the work is only
known from the result (gsub's output, string.pack's padding) it is charged right after,
and that result is bounded by the memory cap. Every estimate is a function of the
arguments and sizes, never of time, so a replay charges exactly the same.

The unit is one VM instruction under the count hook (about 12 ns on the machine these
constants were measured on): each constant below says what one unit buys. Work under a
small allowance (FREE) is not charged, so that the calls a library makes on short values
keep costing what their VM instructions cost; the allowance is below what any call costs
in instructions itself, so a loop of small calls stays within a small factor of its count.
string.find/match/gmatch/gsub are charged by pattern.lua's guard; pairs/next by the
sandbox's key sort.

Not requirable. sandbox.lua loads it stripped of debug information and calls
`install(G, budget)`, which returns the originals by name for the registry's _LOADED
table. A wrapper that charges before the call ends in a tail call of the original, so an
argument error carries the process's own position and the name C finds for it in that
table ("bad argument #1 to 'rep'"); one that charges after calls it as `C.name(...)`, and
the error then carries that name and no position (the stripped chunk has none).
]]

local M = {}

local FREE = 16 -- units of work a call may do uncharged
-- One comparison of a C sort, for integers and for strings (strcoll), small arrays and
-- arrays too large for the caches (measured). order.lua's key sort uses the same figures.
local function sort_cost(n, strings)
  if strings then return n < 4096 and 6 or 24 end
  return n < 4096 and 3 or 12
end

function M.install(G, budget)
  local charge, too_big, cap = budget.charge, budget.too_big, budget.memory_limit
  local log2 = budget.log2   -- 1 + floor(log2(n)), the sandbox's
  -- The sandbox's tostring (no addresses) and pcall (which never swallows a limit error:
  -- a metamethod called from here may be what runs over the budget).
  local det_tostring, pcall = budget.tostring, budget.pcall
  local type, select, rawget, rawlen, error = type, select, rawget, rawlen, error
  local getmetatable = getmetatable
  local tointeger, mtype, maxinteger = math.tointeger, math.type, math.maxinteger
  local raw_tostring, raw_tonumber = tostring, tonumber
  local string, table, utf8 = G.string, G.table, G.utf8

  -- The originals, by library. Called as C.name(...) (see the header).
  local C = {}
  for k, v in next, string do C[k] = v end
  C.concat, C.insert, C.remove, C.move = table.concat, table.insert, table.remove, table.move
  C.unpack_t, C.pack_t, C.sort = table.unpack, table.pack, table.sort
  C.utf8_char, C.len8, C.codepoint, C.offset = utf8.char, utf8.len, utf8.codepoint, utf8.offset
  C.tonumber, C.rawequal = G.tonumber, G.rawequal
  local find, gsub, sub = C.find, C.gsub, C.sub

  -- luaL_checklstring's view of an argument: its length as a string (numbers convert).
  local function strlen(v)
    local tv = type(v)
    if tv == "string" then return #v end
    if tv == "number" then return #raw_tostring(v) end
    return 0
  end

  -- lstrlib's posrelat: a negative position counts from the end.
  local function posrelat(pos, len)
    if pos >= 0 then return pos end
    if -pos > len then return 0 end
    return len + pos + 1
  end

  -- The number of bytes `s` spans from i to j (string.sub/byte's rules), or nil when
  -- the C function will raise for the arguments anyway.
  local function span(len, i, j, default_j)
    local a = i == nil and 1 or tointeger(i)
    if not a then return nil end
    a = posrelat(a, len)
    local b
    if j == nil then b = default_j or a else b = tointeger(j) end
    if not b then return nil end
    b = posrelat(b, len)
    if a < 1 then a = 1 end
    if b > len then b = len end
    return b - a + 1
  end

  -- string -------------------------------------------------------------------------
  -- A new string: one unit per 2 bytes (measured ~4 ns a byte for large results, which
  -- page-fault as they are written); scanning without allocating: one per 4 to 8 bytes;
  -- pushing a value: one.
  local NEW = 2

  function string.sub(...)
    local s, i, j = ...
    if type(s) == "string" and #s > NEW * FREE then
      local n = span(#s, i == nil and 1 or i, j, -1)
      if n and n > NEW * FREE then charge(n // NEW) end
    end
    return C.sub(...)
  end

  function string.byte(...)
    local s, i, j = ...
    if type(s) == "string" and #s > FREE then
      local n = span(#s, i, j)
      if n and n > FREE then charge(n) end
    end
    return C.byte(...)
  end

  -- string.char and table.pack are not wrapped: each argument costs them about what it
  -- cost to produce (table.unpack and string.byte are charged per value), and a wrapper
  -- would copy the arguments once more, halving how many a call can take.

  function string.rep(...)
    local s, n, sep = ...
    local k = tointeger(n)
    if k and k > 0 then
      local l, ls = strlen(s), strlen(sep)
      -- Beyond lstrlib's MAXSIZE (INT_MAX) the C function refuses with its own message.
      if l + ls == 0 or l + ls <= 0x7fffffff // k then
        local total = k * l + (k - 1) * ls
        if total > cap then too_big() end
        local work = k // 2 + total // NEW
        if work > FREE then charge(work) end
      end
    end
    return C.rep(...)
  end

  function string.lower(...)
    local s = ...
    if type(s) == "string" and #s > NEW * FREE then charge(#s // NEW) end
    return C.lower(...)
  end

  function string.upper(...)
    local s = ...
    if type(s) == "string" and #s > NEW * FREE then charge(#s // NEW) end
    return C.upper(...)
  end

  function string.reverse(...)
    local s = ...
    if type(s) == "string" and #s > NEW * FREE then charge(#s // NEW) end
    return C.reverse(...)
  end

  -- string.format: per conversion, what its C formatting costs (measured: a float with
  -- 99 digits of precision ~5 µs, "%f" of 1e308 ~17 µs, "%q" ~120 ns a byte). The
  -- conversions of a format string are read once and kept (a few formats recur).
  -- What a format string costs: a number when no conversion's cost depends on its
  -- argument (the common "%d", "%.14g"), else the list of its conversions.
  local FLOAT, EXP = { f = true, F = true }, { e = true, E = true, g = true, G = true }
  local VARIABLE = { s = true, q = true, f = true, F = true }
  local cost_of, costs_count = {}, 0
  local function analyse(fmt)
    local list, fixed, variable = {}, #fmt // 4, false
    local pos, n = 1, 0
    while true do
      local at = find(fmt, "%", pos, true)
      if not at then break end
      local _, e, width, prec, conv = find(fmt, "^[-+ #0]*(%d*)%.?(%d*)(.)", at + 1)
      if not e then break end
      if conv ~= "%" then
        n = n + 1
        local w, p = raw_tonumber(width) or 0, raw_tonumber(prec)
        list[n] = { conv, w, p }
        if VARIABLE[conv] then
          variable = true
        else
          fixed = fixed + w // 4 + (EXP[conv] and 40 + (p or 6) * 5 or 20)
        end
      end
      pos = e + 1
    end
    local known = variable and list or fixed
    if #fmt <= 256 then
      if costs_count >= 256 then cost_of, costs_count = {}, 0 end
      cost_of[fmt] = known
      costs_count = costs_count + 1
    end
    return known
  end

  local function format_cost(fmt, args)
    local known = cost_of[fmt] or analyse(fmt)
    if type(known) == "number" then
      if known > FREE then charge(known) end
      return
    end
    local work = #fmt // 4
    for i = 1, #known do
      local spec = known[i]
      local conv, width = spec[1], spec[2]
      local v = args[i]
      local cost
      if conv == "s" then
        cost = strlen(v) // NEW
      elseif conv == "q" then
        cost = strlen(v) * 20 + 40
      elseif FLOAT[conv] then
        local x = raw_tonumber(v) or 0
        if x < 0 then x = -x end
        -- Digits before the point (up to 309) plus the precision (default 6).
        cost = 40 + ((x >= 1e16 and 310 or 16) + (spec[3] or 6)) * 5
      elseif EXP[conv] then
        cost = 40 + (spec[3] or 6) * 5
      else
        cost = 20
      end
      work = work + cost + width // 4
    end
    if work > FREE then charge(work) end
  end

  -- Tables, functions, threads and userdata are shown by the sandbox's tostring, never by
  -- address; the common case (no such argument) calls the C function directly.
  local HIDDEN = { table = true, ["function"] = true, thread = true, userdata = true }
  local one = {} -- the argument list of a one-argument format (the common case)
  function string.format(...)
    local fmt = ...
    local n = select("#", ...) - 1
    if n <= 0 then
      if type(fmt) == "string" and #fmt > 4 * FREE then charge(#fmt // 4) end
      return C.format(...)
    end
    if n == 1 then
      local fmt1, v = ...
      if HIDDEN[type(v)] then v = det_tostring(v) end
      if type(fmt1) == "string" then
        one[1] = v
        format_cost(fmt1, one)
        one[1] = nil
      end
      return C.format(fmt1, v)
    end
    local args = { select(2, ...) }
    local hidden = false
    for i = 1, n do
      if HIDDEN[type(args[i])] then
        args[i] = det_tostring(args[i])
        hidden = true
      end
    end
    if type(fmt) == "string" then format_cost(fmt, args) end
    if not hidden then return C.format(...) end
    return C.format(fmt, C.unpack_t(args, 1, n))
  end

  -- string.pack pads byte by byte (~6 ns a byte): charged from its result.
  function string.pack(...)
    local n = select("#", ...)
    if n > FREE then charge(n) end
    local out = C.pack(...)
    if #out > 2 * FREE then charge(#out // 2) end
    return out
  end

  function string.packsize(...)
    local fmt = ...
    if type(fmt) == "string" and #fmt > 4 * FREE then charge(#fmt // 4) end
    return C.packsize(...)
  end

  local function charge_strings(...)
    local bytes = 0
    for i = 1, select("#", ...) do
      local v = select(i, ...)
      if type(v) == "string" then bytes = bytes + #v end
    end
    if bytes > NEW * FREE then charge(bytes // NEW) end
    return ...
  end

  function string.unpack(...)
    local fmt = ...
    if type(fmt) == "string" and #fmt > FREE then charge(#fmt) end
    return charge_strings(C.unpack(...))
  end

  -- utf8 ---------------------------------------------------------------------------

  -- Each code point goes through a formatted push (~330 ns). (Counting the arguments copies
  -- them: a call takes about half as many as the Lua stack holds, ~500,000.)
  function utf8.char(...)
    local n = select("#", ...)
    if n > 1 then charge(n * 25) end
    return C.utf8_char(...)
  end

  function utf8.len(...)
    local s, i, j = ...
    if type(s) == "string" and #s > 4 * FREE then
      local n = span(#s, i, j == nil and -1 or j)
      if n and n > 4 * FREE then charge(n // 4) end
    end
    return C.len8(...)
  end

  function utf8.codepoint(...)
    local s, i, j = ...
    if type(s) == "string" and #s > FREE then
      local n = span(#s, i, j)
      if n and n > FREE then charge(n) end
    end
    return C.codepoint(...)
  end

  function utf8.offset(...)
    local s, n = ...
    if type(s) == "string" and #s > 4 * FREE then
      local k = tointeger(n)
      local steps = k and (k < 0 and -k or k) * 4 or #s
      if steps > #s then steps = #s end
      if steps > 4 * FREE then charge(steps // 4) end
    end
    return C.offset(...)
  end

  -- table --------------------------------------------------------------------------
  -- Each element moved or pushed is a lua_geti (and lua_seti): two units.

  -- The length the C functions will use (luaL_len honours __len), nil if they will raise.
  local function len_of(t) return #t end
  local function length(t)
    if type(t) == "table" and getmetatable(t) == nil then return rawlen(t) end
    local ok, n = pcall(len_of, t)
    if ok and mtype(n) == "integer" then return n end
    return nil
  end

  function table.insert(...)
    if select("#", ...) == 3 then
      local t, pos = ...
      local p, n = tointeger(pos), length(t)
      if p and n and n + 1 - p > FREE then charge(2 * (n + 1 - p)) end
    end
    return C.insert(...)
  end

  function table.remove(...)
    local t, pos = ...
    if pos ~= nil then
      local p, n = tointeger(pos), length(t)
      if p and n and n - p > FREE then charge(2 * (n - p)) end
    end
    return C.remove(...)
  end

  function table.move(...)
    local _, f, e = ...
    f, e = tointeger(f), tointeger(e)
    if f and e and e >= f and (f > 0 or e < maxinteger + f) then
      local n = e - f + 1
      if n > FREE then charge(2 * n) end
    end
    return C.move(...)
  end

  function table.unpack(...)
    local t, i, j = ...
    local a = i == nil and 1 or tointeger(i)
    local b = j == nil and length(t) or tointeger(j)
    -- A range beyond the Lua stack is refused by the C function at once.
    if a and b and b >= a and b - a < 1000000 and b - a + 1 > FREE then
      charge(2 * (b - a + 1))
    end
    return C.unpack_t(...)
  end

  -- table.concat converts numbers with a formatted print (~1 µs) and copies strings:
  -- one look at the elements (raw, so no metamethod runs twice) tells which it is.
  function table.concat(...)
    local t, sep, i, j = ...
    if type(t) == "table" then
      local a = i == nil and 1 or tointeger(i)
      local b = j == nil and length(t) or tointeger(j)
      if a and b and b >= a then
        local n = b - a + 1
        if n > FREE then
          local work, ls = 0, strlen(sep)
          for k = a, b do
            local v = rawget(t, k)
            if type(v) == "string" then work = work + 8 + #v // NEW
            else work = work + 80 end
          end
          charge(work + n * ls // NEW)
        end
      end
    end
    return C.concat(...)
  end

  -- table.sort: Lua 5.3's quicksort takes the middle element as pivot, but once a
  -- partition of a large array comes out unbalanced it switches to random pivots (seeded
  -- by the clock), so elements that compare equal but differ (a comparator over one
  -- field, 1 and 1.0) came out in a different order on a replay, and so did the "invalid
  -- order function" error. Below 128 elements that never happens (lua/ltablib.c): the C
  -- sort runs as it is. Larger arrays of only integers or only strings, where equal means
  -- identical, keep the C sort too, charged n·log2(n) comparisons; everything else is a
  -- stable merge sort in Lua, counted by the hook like any Lua code.
  local NEVER_RANDOM = 128

  local function merge_sort(a, n, lt)
    local b = {}
    local width = 1
    -- Short runs by insertion first.
    local RUN = 8
    for lo = 1, n, RUN do
      local hi = lo + RUN - 1
      if hi > n then hi = n end
      for i = lo + 1, hi do
        local v = a[i]
        local j = i - 1
        while j >= lo and lt(v, a[j]) do
          a[j + 1] = a[j]
          j = j - 1
        end
        a[j + 1] = v
      end
    end
    width = RUN
    while width < n do
      local i = 1
      while i <= n do
        local mid, hi = i + width - 1, i + 2 * width - 1
        if mid > n then mid = n end
        if hi > n then hi = n end
        local l, r, k = i, mid + 1, i
        while l <= mid and r <= hi do
          if lt(a[r], a[l]) then
            b[k] = a[r]; r = r + 1
          else
            b[k] = a[l]; l = l + 1
          end
          k = k + 1
        end
        while l <= mid do b[k] = a[l]; l = l + 1; k = k + 1 end
        while r <= hi do b[k] = a[r]; r = r + 1; k = k + 1 end
        i = hi + 1
      end
      a, b = b, a
      width = width * 2
    end
    return a
  end

  local function less(x, y) return x < y end

  function table.sort(...)
    local t, comp = ...
    local n = length(t)
    if n == nil or n < NEVER_RANDOM or (comp ~= nil and type(comp) ~= "function") then
      -- A Lua comparator is counted by the hook; the default one costs a comparison each.
      if n and n > FREE and comp == nil then charge(n * log2(n) * 3) end
      return C.sort(...) -- C raises the error if there is one
    end
    if n >= 0x7fffffff then error("bad argument #1 to 'sort' (array too big)", 2) end
    local a, kind, bytes = {}, nil, 0
    for i = 1, n do
      local v = t[i]
      a[i] = v
      local tv = mtype(v) == "integer" and "integer" or type(v)
      if tv == "string" then bytes = bytes + #v end
      if kind == nil then kind = tv elseif kind ~= tv then kind = false end
    end
    if comp == nil and (kind == "integer" or kind == "string") then
      local lg = log2(n)
      charge(n * lg * sort_cost(n, kind == "string") + bytes * lg // 16)
      C.sort(a)
    else
      local ok, sorted = pcall(merge_sort, a, n, comp or less)
      if not ok then
        -- A comparison error raised in this stripped chunk reads "?:-1: attempt to
        -- compare ...": C's sort raises it without a position.
        if type(sorted) == "string" and find(sorted, "^%?:%-1: ") then
          sorted = sub(sorted, 7)
        end
        error(sorted, 0)
      end
      a = sorted
    end
    for i = 1, n do t[i] = a[i] end
  end

  -- base ---------------------------------------------------------------------------

  function G.tonumber(...)
    local s = ...
    if type(s) == "string" and #s > 2 * FREE then charge(#s // 2) end
    return C.tonumber(...)
  end

  function G.rawequal(...)
    local a, b = ...
    if type(a) == "string" and type(b) == "string" and #a == #b and #a > 2 * FREE then
      charge(#a // 2)
    end
    return C.rawequal(...)
  end

  -- The names C gives an original in an argument error (see the header): each original
  -- once, so that which name is found never depends on hash order.
  return {
    _G = { sub = C.sub, byte = C.byte, rep = C.rep, lower = C.lower,
      upper = C.upper, reverse = C.reverse, format = C.format, packsize = C.packsize,
      len = C.len8, codepoint = C.codepoint, offset = C.offset, insert = C.insert,
      remove = C.remove, move = C.move, unpack = C.unpack_t,
      concat = C.concat, sort = C.sort, tonumber = C.tonumber, rawequal = C.rawequal },
    utf8 = { char = C.utf8_char },
  }
end

return M
