--[[ pattern.lua: Lua 5.3 string patterns implemented in Lua, for the sandbox.

The C matcher of string.find/match/gmatch/gsub backtracks without ever returning to the
VM, so the instruction budget cannot stop a pattern like ("a*"):rep(20) .. "b" on a long
subject. The sandbox runs such risky calls (see `cost`) through this matcher instead: it
follows the reference semantics (classes, sets, %b, %f, back-references, position
captures, anchors) and every step is ordinary Lua, so the count hook sees it.

Not requirable; sandbox.lua loads it (with the runtime's private globals, stripped of
debug information like meter.lua) and calls `guard`.
]]

local byte, sub, char, find = string.byte, string.sub, string.char, string.find
local tconcat, mtype, tostring, type, error = table.concat, math.type, tostring, type, error
local unpack, tointeger, floor, select = table.unpack, math.tointeger, math.floor, select

local P = {}

local ESC, LBRACK, RBRACK, CARET, DASH = 37, 91, 93, 94, 45
local DOT, LPAREN, RPAREN, DOLLAR = 46, 40, 41, 36
local STAR, PLUS, QUESTION = 42, 43, 63
local MAXCCALLS = 200
local CAP_UNFINISHED, CAP_POSITION = -1, -2

-- Character classes of the C locale, as 256-entry lookup tables.
local classes = {}
do
  local function set(pred)
    local t = {}
    for c = 0, 255 do t[c] = pred(c) end
    return t
  end
  local function alpha(c) return (c >= 65 and c <= 90) or (c >= 97 and c <= 122) end
  local function digit(c) return c >= 48 and c <= 57 end
  local function graph(c) return c >= 33 and c <= 126 end
  classes[97] = set(alpha)                                                 -- a
  classes[99] = set(function(c) return c < 32 or c == 127 end)             -- c
  classes[100] = set(digit)                                                -- d
  classes[103] = set(graph)                                                -- g
  classes[108] = set(function(c) return c >= 97 and c <= 122 end)          -- l
  classes[112] = set(function(c) return graph(c) and not alpha(c) and not digit(c) end) -- p
  classes[115] = set(function(c) return (c >= 9 and c <= 13) or c == 32 end) -- s
  classes[117] = set(function(c) return c >= 65 and c <= 90 end)           -- u
  classes[119] = set(function(c) return alpha(c) or digit(c) end)          -- w
  classes[120] = set(function(c)                                           -- x
    return digit(c) or (c >= 97 and c <= 102) or (c >= 65 and c <= 70)
  end)
end

local function match_class(c, cl)
  local lower = cl >= 65 and cl <= 90 and cl + 32 or cl
  local t = classes[lower]
  if not t then return cl == c end
  if lower ~= cl then return not t[c] end
  return t[c]
end

-- ms: {src, len, pat, plen, level, init = {}, clen = {}, depth}

local function class_end(ms, p)
  local pat, plen = ms.pat, ms.plen
  local c = byte(pat, p)
  p = p + 1
  if c == ESC then
    if p > plen then error("malformed pattern (ends with '%')", 0) end
    return p + 1
  end
  if c == LBRACK then
    if byte(pat, p) == CARET then p = p + 1 end
    repeat
      if p > plen then error("malformed pattern (missing ']')", 0) end
      local cc = byte(pat, p)
      p = p + 1
      if cc == ESC and p <= plen then p = p + 1 end
    until byte(pat, p) == RBRACK
    return p + 1
  end
  return p
end

-- p is at '[', ec at the closing ']'.
local function match_bracket(ms, c, p, ec)
  local pat = ms.pat
  local positive = true
  if byte(pat, p + 1) == CARET then
    positive = false
    p = p + 1
  end
  p = p + 1
  while p < ec do
    local pc = byte(pat, p)
    if pc == ESC then
      p = p + 1
      if match_class(c, byte(pat, p)) then return positive end
    elseif byte(pat, p + 1) == DASH and p + 2 < ec then
      if pc <= c and c <= byte(pat, p + 2) then return positive end
      p = p + 2
    elseif pc == c then
      return positive
    end
    p = p + 1
  end
  return not positive
end

local function single_match(ms, s, p, ep)
  if s > ms.len then return false end
  local c = byte(ms.src, s)
  local pc = byte(ms.pat, p)
  if pc == DOT then return true end
  if pc == ESC then return match_class(c, byte(ms.pat, p + 1)) end
  if pc == LBRACK then return match_bracket(ms, c, p, ep - 1) end
  return pc == c
end

local do_match

local function max_expand(ms, s, p, ep)
  local i = 0
  while single_match(ms, s + i, p, ep) do i = i + 1 end
  while i >= 0 do
    local r = do_match(ms, s + i, ep + 1)
    if r then return r end
    i = i - 1
  end
  return nil
end

local function min_expand(ms, s, p, ep)
  while true do
    local r = do_match(ms, s, ep + 1)
    if r then return r end
    if single_match(ms, s, p, ep) then s = s + 1 else return nil end
  end
end

local function start_capture(ms, s, p, what)
  local level = ms.level + 1
  if level > 32 then error("too many captures", 0) end
  ms.init[level], ms.clen[level] = s, what
  ms.level = level
  local r = do_match(ms, s, p)
  if not r then ms.level = ms.level - 1 end
  return r
end

local function end_capture(ms, s, p)
  local l
  for i = ms.level, 1, -1 do
    if ms.clen[i] == CAP_UNFINISHED then l = i break end
  end
  if not l then error("invalid pattern capture", 0) end
  ms.clen[l] = s - ms.init[l]
  local r = do_match(ms, s, p)
  if not r then ms.clen[l] = CAP_UNFINISHED end
  return r
end

local function match_balance(ms, s, p)
  if p + 1 > ms.plen then error("malformed pattern (missing arguments to '%b')", 0) end
  local src, len = ms.src, ms.len
  if s > len or byte(src, s) ~= byte(ms.pat, p) then return nil end
  local b, e = byte(ms.pat, p), byte(ms.pat, p + 1)
  local depth = 1
  s = s + 1
  while s <= len do
    local c = byte(src, s)
    if c == e then
      depth = depth - 1
      if depth == 0 then return s + 1 end
    elseif c == b then
      depth = depth + 1
    end
    s = s + 1
  end
  return nil
end

local function match_capture(ms, s, d)
  local l = d - 48
  if l < 1 or l > ms.level or ms.clen[l] == CAP_UNFINISHED then
    error("invalid capture index %" .. (l) .. " in pattern", 0)
  end
  local init, n = ms.init[l], ms.clen[l]
  if ms.len - s + 1 >= n and sub(ms.src, init, init + n - 1) == sub(ms.src, s, s + n - 1) then
    return s + n
  end
  return nil
end

do_match = function(ms, s, p)
  ms.depth = ms.depth - 1
  if ms.depth == 0 then error("pattern too complex", 0) end
  local pat, plen = ms.pat, ms.plen
  while true do
    if p > plen then break end
    local pc = byte(pat, p)
    if pc == LPAREN then
      if byte(pat, p + 1) == RPAREN then
        s = start_capture(ms, s, p + 2, CAP_POSITION)
      else
        s = start_capture(ms, s, p + 1, CAP_UNFINISHED)
      end
      break
    elseif pc == RPAREN then
      s = end_capture(ms, s, p + 1)
      break
    elseif pc == DOLLAR and p == plen then
      if s ~= ms.len + 1 then s = nil end
      break
    elseif pc == ESC and byte(pat, p + 1) == 98 then           -- %b
      s = match_balance(ms, s, p + 2)
      if not s then break end
      p = p + 4
    elseif pc == ESC and byte(pat, p + 1) == 102 then          -- %f
      p = p + 2
      if byte(pat, p) ~= LBRACK then error("missing '[' after '%f' in pattern", 0) end
      local ep = class_end(ms, p)
      local prev = s == 1 and 0 or byte(ms.src, s - 1)
      local cur = s <= ms.len and byte(ms.src, s) or 0
      if match_bracket(ms, prev, p, ep - 1) or not match_bracket(ms, cur, p, ep - 1) then
        s = nil
        break
      end
      p = ep
    elseif pc == ESC and (byte(pat, p + 1) or 0) >= 48 and (byte(pat, p + 1) or 0) <= 57 then
      s = match_capture(ms, s, byte(pat, p + 1))
      if not s then break end
      p = p + 2
    else
      local ep = class_end(ms, p)
      local epc = byte(pat, ep)
      if not single_match(ms, s, p, ep) then
        if epc == STAR or epc == QUESTION or epc == DASH then
          p = ep + 1
        else
          s = nil
          break
        end
      elseif epc == QUESTION then
        local r = do_match(ms, s + 1, ep + 1)
        if r then
          s = r
          break
        end
        p = ep + 1
      elseif epc == PLUS then
        s = max_expand(ms, s + 1, p, ep)
        break
      elseif epc == STAR then
        s = max_expand(ms, s, p, ep)
        break
      elseif epc == DASH then
        s = min_expand(ms, s, p, ep)
        break
      else
        s = s + 1
        p = ep
      end
    end
  end
  ms.depth = ms.depth + 1
  return s
end

local function state(src, pat)
  return { src = src, len = #src, pat = pat, plen = #pat, level = 0, init = {}, clen = {},
    depth = MAXCCALLS }
end

local function capture(ms, i, s, e)
  if i > ms.level then
    if i == 1 then return sub(ms.src, s, e - 1) end
    error("invalid capture index %" .. i, 0)
  end
  local n = ms.clen[i]
  if n == CAP_UNFINISHED then error("unfinished capture", 0) end
  if n == CAP_POSITION then return ms.init[i] end
  return sub(ms.src, ms.init[i], ms.init[i] + n - 1)
end

local function captures(ms, s, e, whole)
  local n = (ms.level == 0 and whole) and 1 or ms.level
  local out = {}
  for i = 1, n do out[i] = capture(ms, i, s, e) end
  return out, n
end

local function relative(pos, len)
  if pos >= 0 then return pos end
  if -pos > len then return 0 end
  return len + pos + 1
end

local function check_string(fn, i, v)
  local t = type(v)
  if t == "number" then return tostring(v) end
  if t ~= "string" then
    error("bad argument #" .. i .. " to '" .. fn .. "' (string expected, got " ..
      (t == "nil" and "no value" or t) .. ")", 3)
  end
  return v
end

local function check_init(fn, init, len)
  if init == nil then return 1 end
  if mtype(init) ~= "integer" then
    local n = tointeger(init)
    if not n then
      error("bad argument #3 to '" .. fn .. "' (number has no integer representation)", 3)
    end
    init = n
  end
  init = relative(init, len)
  if init < 1 then init = 1 end
  return init
end

local function find_aux(is_find, s, p, init)
  local fn = is_find and "find" or "match"
  s, p = check_string(fn, 1, s), check_string(fn, 2, p)
  init = check_init(fn, init, #s)
  if init > #s + 1 then return nil end
  local anchor = byte(p, 1) == CARET
  local ms = state(s, p)
  local start = anchor and 2 or 1
  local s1 = init
  repeat
    ms.level, ms.depth = 0, MAXCCALLS
    local e = do_match(ms, s1, start)
    if e then
      if is_find then
        local caps, n = captures(ms, nil, nil, false)
        return s1, e - 1, unpack(caps, 1, n)
      end
      local caps, n = captures(ms, s1, e, true)
      return unpack(caps, 1, n)
    end
    s1 = s1 + 1
  until anchor or s1 > ms.len + 1
  return nil
end

function P.find(s, p, init) return find_aux(true, s, p, init) end
function P.match(s, p, init) return find_aux(false, s, p, init) end

function P.gmatch(s, p)
  s, p = check_string("gmatch", 1, s), check_string("gmatch", 2, p)
  local ms = state(s, p)
  local pos, last = 1, nil
  return function()
    while pos <= ms.len + 1 do
      ms.level, ms.depth = 0, MAXCCALLS
      local e = do_match(ms, pos, 1)
      if e and e ~= last then
        local start = pos
        pos, last = e, e
        local caps, n = captures(ms, start, e, true)
        return unpack(caps, 1, n)
      end
      pos = pos + 1
    end
    return nil
  end
end

local function add_string(ms, out, s, e, repl)
  local i, n = 1, #repl
  while i <= n do
    local c = byte(repl, i)
    if c == ESC then
      i = i + 1
      local d = byte(repl, i)
      if d == ESC then
        out[#out + 1] = "%"
      elseif d and d >= 48 and d <= 57 then
        if d == 48 then
          out[#out + 1] = sub(ms.src, s, e - 1)
        else
          local v = capture(ms, d - 48, s, e)
          out[#out + 1] = type(v) == "number" and tostring(v) or v
        end
      else
        error("invalid use of '%' in replacement string", 0)
      end
    else
      local j = find(repl, "%", i, true) or n + 1
      out[#out + 1] = sub(repl, i, j - 1)
      i = j - 1
    end
    i = i + 1
  end
end

function P.gsub(s, p, repl, max_n)
  s, p = check_string("gsub", 1, s), check_string("gsub", 2, p)
  local tr = type(repl)
  if tr == "number" then
    repl, tr = tostring(repl), "string"
  elseif tr ~= "string" and tr ~= "table" and tr ~= "function" then
    error("bad argument #3 to 'gsub' (string/function/table expected, got " ..
      (tr == "nil" and "no value" or tr) .. ")", 2)
  end
  local limit = max_n == nil and #s + 1 or tointeger(max_n)
  if limit == nil then
    error("bad argument #4 to 'gsub' (number has no integer representation)", 2)
  end
  local anchor = byte(p, 1) == CARET
  local start = anchor and 2 or 1
  local ms = state(s, p)
  local out, count, pos, last = {}, 0, 1, nil
  while count < limit do
    ms.level, ms.depth = 0, MAXCCALLS
    local e = do_match(ms, pos, start)
    if e and e ~= last then
      count = count + 1
      if tr == "string" then
        add_string(ms, out, pos, e, repl)
      else
        local v
        if tr == "table" then
          v = repl[capture(ms, 1, pos, e)]
        else
          local caps, n = captures(ms, pos, e, true)
          v = repl(unpack(caps, 1, n))
        end
        if v == nil or v == false then
          out[#out + 1] = sub(s, pos, e - 1)
        elseif type(v) == "string" or type(v) == "number" then
          out[#out + 1] = tostring(v)
        else
          error("invalid replacement value (a " .. type(v) .. ")", 0)
        end
      end
      pos, last = e, e
    elseif pos <= ms.len then
      out[#out + 1] = char(byte(s, pos))
      pos = pos + 1
    else
      break
    end
    if anchor then break end
  end
  out[#out + 1] = sub(s, pos)
  return tconcat(out), count
end

--- Worst-case work of matching `p` against `n` bytes, as a rough step count: each
--- backtracking item (a `*`, `+` or `-` with something after it, %b, a back-reference)
--- multiplies by n, each `?` with something after it by 2 (it tries the rest of the
--- pattern twice), and an unanchored search adds one more factor of n. Returns the number
--- of n-factors, of 2-factors, whether the pattern is anchored, and its length.
local function analyse(p)
  local plen = #p
  local i = 1
  local k, q = 0, 0
  local anchored = false
  if byte(p, 1) == CARET then
    anchored = true
    i = 2
  end
  local last_quantifier_at, last_is_optional = nil, false
  while i <= plen do
    local c = byte(p, i)
    if c == ESC then
      local d = byte(p, i + 1)
      if d == 98 then k = k + 1 i = i + 4
      elseif d and d >= 49 and d <= 57 then k = k + 1 i = i + 2
      elseif d == 102 then i = i + 2
      else i = i + 2 end
    elseif c == LBRACK then
      i = i + 1
      if byte(p, i) == CARET then i = i + 1 end
      repeat
        local cc = byte(p, i)
        i = i + 1
        if cc == ESC then i = i + 1 end
      until i > plen or byte(p, i) == RBRACK
      i = i + 1
    elseif c == LPAREN or c == RPAREN then
      i = i + 1
    else
      i = i + 1
    end
    local qc = byte(p, i)
    if qc == STAR or qc == PLUS or qc == DASH then
      k = k + 1
      last_quantifier_at, last_is_optional = i, false
      i = i + 1
    elseif qc == QUESTION then
      q = q + 1
      last_quantifier_at, last_is_optional = i, true
      i = i + 1
    end
  end
  -- A quantifier that ends the pattern (only captures after it) never backtracks.
  if last_quantifier_at and not find(p, "[^%)]", last_quantifier_at + 1) then
    if last_is_optional then q = q - 1 else k = k - 1 end
  end
  return k, q, anchored, plen
end

-- Analyses of recent patterns (a handful of patterns are used over and over).
local analysed, analysed_count = {}, 0

local function info(p)
  local a = analysed[p]
  if not a then
    local k, q, anchored, plen = analyse(p)
    a = { k, q, anchored, plen }
    if plen <= 256 then
      if analysed_count >= 256 then analysed, analysed_count = {}, 0 end
      analysed[p] = a
      analysed_count = analysed_count + 1
    end
  end
  return a[1], a[2], a[3], a[4]
end

function P.cost(p, n, anchored_search)
  local k, q, anchored, plen = info(p)
  if anchored then anchored_search = true end
  local cost = anchored_search and 1 or n + 1
  for _ = 1, k do
    cost = cost * (n + 1)
    if cost > 1e18 then return cost end
  end
  for _ = 1, q do
    cost = cost * 2
    if cost > 1e18 then return cost end
  end
  return cost * (plen + 1)
end

--- Route string.find/match/gmatch/gsub of `strings` (the string library table).
--- A pattern without backtracking items tries each start position once, so it stays in
--- C and is charged for the positions it actually scanned (times the pattern length, one
--- instruction per 8 steps). A backtracking pattern whose worst case on this subject is
--- above RISKY steps runs through this matcher, which the instruction hook counts; a
--- cheaper one stays in C and is charged its worst case. gsub is also charged for what it
--- built: a few instructions per replacement and one per 2 bytes of result (the C code
--- copies a string replacement byte by byte, looking for `%`). Returns the originals, by
--- name (for the registry's _LOADED, see meter.lua).
local RISKY = 10000
local FREE = 16
function P.guard(strings, charge)
  -- Called as C.name(...), never as a tail call, so that an argument error names the
  -- function as the process called it.
  local C = { find = strings.find, match = strings.match, gmatch = strings.gmatch,
    gsub = strings.gsub }
  local cost = P.cost

  local function start_of(s, init)
    local n = #s
    if init == nil then return 1, n end
    init = tointeger(init)
    if not init then return 1, n end
    if init < 0 then init = n + init + 1 end
    if init < 1 then init = 1 end
    return init, n
  end

  -- "c": run in C; "lua": run the counted matcher. Charges what the C run will cost.
  local function route(s, p, init, whole_subject)
    if type(s) ~= "string" or type(p) ~= "string" then return "c" end
    local k, q, anchored, plen = info(p)
    local first, n = start_of(s, init)
    local remaining = n - first + 1
    if remaining < 0 then remaining = 0 end
    if k == 0 and q == 0 then
      if anchored then
        charge(floor((plen + 1) / 8))
      elseif whole_subject then
        charge(floor((remaining + 1) * (plen + 1) / 8))
      end
      return "c0", first, plen, anchored
    end
    local c = cost(p, remaining, false)
    if c > RISKY then return "lua" end
    charge(floor(c / 8))
    return "c"
  end

  -- A linear search: charge for the start positions tried before the match (or all).
  local function charge_scan(first, plen, anchored, n, at)
    if anchored then return end
    local tried = at and (at - first + 1) or (n - first + 2)
    if tried > 0 then charge(floor(tried * (plen + 1) / 8)) end
  end

  -- The charges that need the result take it as varargs, so no table is built per call.
  local function after_plain(s, first, at, ...)
    charge(floor(((at or #s) - first + 1) / 8))
    return at, ...
  end

  local function after_find(first, plen, anchored, n, at, ...)
    charge_scan(first, plen, anchored, n, at)
    return at, ...
  end

  -- find gives the start position (to charge) and the same captures as match.
  local function after_match(s, first, plen, anchored, at, e, ...)
    charge_scan(first, plen, anchored, #s, at)
    if at == nil then return nil end
    if select("#", ...) > 0 then return ... end
    return sub(s, at, e)
  end

  -- A call whose cost is charged before it runs ends in a tail call of the original, so
  -- an argument error reads as the process's own (see meter.lua).
  strings.find = function(...)
    local s, p, init, plain = ...
    if plain then
      if type(s) ~= "string" then return C.find(...) end
      return after_plain(s, start_of(s, init), C.find(...))
    end
    local how, first, plen, anchored = route(s, p, init, false)
    if how == "lua" then return P.find(s, p, init) end
    if how == "c" then return C.find(...) end
    return after_find(first, plen, anchored, #s, C.find(...))
  end

  strings.match = function(...)
    local s, p, init = ...
    local how, first, plen, anchored = route(s, p, init, false)
    if how == "lua" then return P.match(s, p, init) end
    if how == "c" then return C.match(...) end
    return after_match(s, first, plen, anchored, C.find(...))
  end

  strings.gmatch = function(...)
    local s, p = ...
    local how = route(s, p, nil, true)
    if how == "lua" then return P.gmatch(s, p) end
    return C.gmatch(...)
  end

  strings.gsub = function(...)
    local s, p, repl, n = ...
    local how = route(s, p, nil, true)
    local out, count
    if how == "lua" then out, count = P.gsub(s, p, repl, n)
    else out, count = C.gsub(...) end
    local work = count * 4 + #out // 2
    if work > FREE then charge(work) end
    return out, count
  end

  return C
end

return P
