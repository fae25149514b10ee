--[[ order.lua: one order for the keys of every table, and ids for the values that have none.

Executed by sandbox.lua's `install` (not requirable), with the private globals. Lua's own
`next` visits keys in hash order, and a key that is a table or a function hashes by its
address, which differs between two OS processes: a replay would see another order, and
`tostring` would print another address. So the process's `next` and `pairs` visit numbers
ascending, then strings bytewise, false, true, and then every other key by an id it gets
when it is first ordered or printed, the same in every replay.

The chunk returns `new(raw, charge)`. `raw` holds the standard functions as they were
before the sandbox replaced any (next, type, rawget, error, setmetatable, getmetatable,
format, math_type, sort, concat, getinfo); `charge(n)` charges the budget for work done in
C. `new` returns the process's `next` and `pairs`, `id_of` (the number `tostring` prints),
`sorted_keys` (a table's keys in that order), `log2` (the charge formulas
of meter.lua and bridge.lua), and what a snapshot carries over: `ids`, the next id
(`get_next_id`, `set_next_id`), and `forget(t)`, which drops the key list kept for `t`.
]]

return function(raw, charge)
  local raw_next, raw_type, raw_rawget, raw_error = raw.next, raw.type, raw.rawget, raw.error
  local raw_setmetatable, raw_getmetatable = raw.setmetatable, raw.getmetatable
  local str_format, math_type, getinfo = raw.format, raw.math_type, raw.getinfo
  local tsort, c_concat = raw.sort, raw.concat

  -- Deterministic identities for values that have no natural order or printable form.
  -- A new id costs more than its instructions show (an entry in a weak table, which the
  -- collector walks whole in its atomic step): charged 200, measured ~2 µs.
  local ids = raw_setmetatable({}, { __mode = "k" })
  local next_id = 0
  local function id_of(v)
    local id = ids[v]
    if not id then
      charge(200)
      next_id = next_id + 1
      id = next_id
      ids[v] = id
    end
    return id
  end

  -- The key sort runs in C: charged like table.sort (meter.lua), n·log2(n) comparisons,
  -- a string comparison costing more than a number's and growing with the bytes compared,
  -- and four times more once the keys no longer fit in the caches (measured).
  -- 1 + floor(log2(n)): for n < 256 from a table, then 8 bits at a time (meter.lua and
  -- bridge.lua charge with the same one)
  local LOG2 = {}
  for n = 0, 255 do
    local k, m = 1, n
    while m > 1 do m = m >> 1; k = k + 1 end
    LOG2[n] = k
  end
  local function log2(n)
    local k = 0
    while n >= 256 do n = n >> 8; k = k + 8 end
    return k + LOG2[n]
  end

  -- Keys in a fixed order: numbers ascending, strings bytewise, false, true, then every
  -- other key by the per-process id it got when first ordered or printed. Each group is
  -- sorted by table.sort's built-in comparison (in C), which keeps pairs cheap, and
  -- keeps what the sort costs the budget a function of the keys alone: a comparator in
  -- Lua would be counted, and its count depends on the order next() gave the keys in,
  -- which for object keys is the hash order of their addresses, another in every OS
  -- process. (The same holds for every loop here: none stops early on what it met.)

  -- Keys that have no id yet get theirs in the order of a fingerprint built from what a
  -- replay sees too (their contents, their value in the table), never from the hash
  -- order of their addresses, which differs between OS processes. Only keys that are
  -- alike in every respect are left in hash order (and then nothing tells them apart).
  local function text_of(v)
    local tv = raw_type(v)
    if tv == "string" then return "s" .. v end
    if tv == "number" then
      if math_type(v) == "integer" then return str_format("i%d", v) end
      return str_format("f%.17g", v)
    end
    if tv == "boolean" then return v and "T" or "F" end
    if tv == "nil" then return "n" end
    local id = ids[v]
    if id then return str_format("#%d", id) end
    return tv
  end

  local function fingerprint(k, v)
    local tk = raw_type(k)
    local out = { tk, text_of(v) }
    if tk == "table" then
      local entries, x = {}, raw_next(k)
      while x ~= nil do
        entries[#entries + 1] = text_of(x) .. "=" .. text_of(raw_rawget(k, x))
        x = raw_next(k, x)
      end
      tsort(entries)
      out[3] = c_concat(entries, ",")
    elseif tk == "function" then
      local info = getinfo(k, "S")
      out[3] = str_format("%s:%d", info.source, info.linedefined)
    end
    return c_concat(out, "|")
  end

  local function name_new_keys(t, others)
    local fresh, prints = nil, nil
    for i = 1, #others do
      local k = others[i]
      if not ids[k] then
        fresh, prints = fresh or {}, prints or {}
        fresh[#fresh + 1] = k
        prints[k] = fingerprint(k, raw_rawget(t, k))
      end
    end
    if not fresh then return end
    -- the distinct fingerprints, sorted in C; keys alike in every respect share one
    local list, alike = {}, {}
    for i = 1, #fresh do
      local k = fresh[i]
      local p = prints[k]
      local group = alike[p]
      if group then group[#group + 1] = k else list[#list + 1] = p; alike[p] = { k } end
    end
    local np = #list
    if np > 1 then
      charge(np * log2(np) * (np < 4096 and 6 or 24))
      tsort(list)
    end
    for i = 1, np do
      local group = alike[list[i]]
      for j = 1, #group do id_of(group[j]) end
    end
  end

  local function sorted_keys(t)
    local nums, strs, others = {}, {}, nil
    local nn, ns = 0, 0
    local has_false, has_true = false, false
    local k = raw_next(t)
    while k ~= nil do
      local tk = raw_type(k)
      if tk == "string" then
        ns = ns + 1
        strs[ns] = k
      elseif tk == "number" then
        nn = nn + 1
        nums[nn] = k
      elseif k == true then
        has_true = true
      elseif k == false then
        has_false = true
      else
        others = others or {}
        others[#others + 1] = k
      end
      k = raw_next(t, k)
    end
    if nn > 1 then
      -- A sequence (the keys are 1..nn) needs no sort. The test looks at each key alone,
      -- so what it counts does not depend on the order next() gave them in.
      local outside = 0
      for i = 1, nn do
        local x = nums[i]
        if math_type(x) ~= "integer" or x < 1 or x > nn then outside = outside + 1 end
      end
      if outside == 0 then
        for i = 1, nn do nums[i] = i end
      else
        charge(nn * log2(nn) * (nn < 4096 and 3 or 12))
        tsort(nums)
      end
    end
    if ns > 1 then
      if ns > 16 then
        -- The bytes compared grow with the keys' length: one C pass measures them all.
        local lg = log2(ns)
        charge(ns * lg * (ns < 4096 and 6 or 24) + #c_concat(strs) * lg // 16)
      end
      tsort(strs)
    end
    local n = nn
    for i = 1, ns do nums[n + i] = strs[i] end
    n = n + ns
    if has_false then n = n + 1; nums[n] = false end
    if has_true then n = n + 1; nums[n] = true end
    if others then
      name_new_keys(t, others)
      local no = #others
      if no > 1 then
        -- by their ids, compared in C: every key has its own
        local by, order = {}, {}
        for i = 1, no do
          local k = others[i]
          local id = ids[k]
          order[i] = id
          by[id] = k
        end
        charge(no * log2(no) * (no < 4096 and 3 or 12))
        tsort(order)
        for i = 1, no do nums[n + i] = by[order[i]] end
      else
        nums[n + 1] = others[1]
      end
      n = n + no
    end
    return nums, n
  end

  -- Per table: the sorted key list of its last traversal, so that `next(t, k)` in a loop
  -- stays linear. A weak-keyed cache; rebuilt whenever next(t, nil) starts a traversal.
  local order_cache = raw_setmetatable({}, { __mode = "k" })

  local function det_next(t, k)
    if k == nil then
      if raw_next(t) == nil then return nil end
      local keys, n = sorted_keys(t)
      local pos = {}
      for i = 1, n do pos[keys[i]] = i end
      order_cache[t] = { keys = keys, pos = pos, n = n }
      local first = keys[1]
      return first, t[first]
    end
    local c = order_cache[t]
    if not c or not c.pos[k] then
      local keys, n = sorted_keys(t)
      local pos = {}
      for i = 1, n do pos[keys[i]] = i end
      c = { keys = keys, pos = pos, n = n }
      order_cache[t] = c
      if not pos[k] then raw_error("invalid key to 'next'", 2) end
    end
    local i = c.pos[k] + 1
    local keys = c.keys
    while i <= c.n do
      local key = keys[i]
      local v = raw_rawget(t, key)
      if v ~= nil then return key, v end
      i = i + 1
    end
    return nil
  end

  local function det_pairs(t)
    local mt = raw_getmetatable(t)
    if raw_type(mt) == "table" then
      local p = raw_rawget(mt, "__pairs")
      if p then
        local a, b, c = p(t)
        return a, b, c
      end
    end
    if raw_type(t) ~= "table" then
      raw_error("bad argument #1 to 'pairs' (table expected, got " .. raw_type(t) .. ")", 2)
    end
    -- Iterate over a snapshot of sorted keys: linear, and order independent of hashing.
    local keys, n = sorted_keys(t)
    local i = 0
    return function()
      while true do
        i = i + 1
        if i > n then return nil end
        local key = keys[i]
        local v = raw_rawget(t, key)
        if v ~= nil then return key, v end
      end
    end, t, nil
  end

  return {
    next = det_next, pairs = det_pairs, id_of = id_of, sorted_keys = sorted_keys,
    log2 = log2, ids = ids,
    get_next_id = function() return next_id end,
    set_next_id = function(n) next_id = n end,
    forget = function(t) order_cache[t] = nil end,
  }
end
