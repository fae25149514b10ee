--[[ snapshot.lua: a process state as bytes, and back into a fresh state.

Executed by aos.runtime (not requirable). It returns `new(tools)`, which sandbox.lua calls
at the end of `install`, before the process library is loaded: at that moment it names
every function reachable from the globals (the C functions and the sandbox's own
closures). Those are the runtime's, never copied: a snapshot refers to them by name and a
restore finds the new state's own. Everything else a process can reach is written out:
tables with their keys and metatables, Lua closures as their bytecode (string.dump, with
debug info, so error positions stay the same) and their upvalues, shared upvalues as one
cell (debug.upvalueid / upvaluejoin), dead coroutines, and the per-process ids that order
object keys and name values in `tostring`. Tables the runtime holds itself (the globals,
package.loaded, package.preload, the string library that strings index, the decoy
metatable of strings) keep their identity: a restore refills them in place.

A state is refused (save returns nil and why) when it holds what cannot be carried over:
a suspended or running coroutine (a `Receive` that waits), the main thread, userdata, a C
function that has no name (e.g. a string.gmatch iterator), or an array with holes too long
to rebuild exactly. The caller then keeps the older snapshot and replays from it.

The bytes are canonical: keys are written in the runtime's own order (numbers, strings,
booleans, then object keys by their id, or for keys that never got one by a structural
fingerprint), so the same state gives the same bytes in any OS process. Format, all
little-endian: "AOSNAP1\0", object count, the protos (bytecode strings), the objects, the
roots, the ids, next id; a value is a tag byte and its payload.
]]

return function(tools)
  local type, pairs_raw, rawget, rawset, rawlen, rawequal = type, tools.next, rawget,
    rawset, rawlen, rawequal
  local pack, unpack, str_sub, str_byte, str_format = string.pack, string.unpack,
    string.sub, string.byte, string.format
  local tconcat, tsort, tunpack, tpack = table.concat, table.sort, table.unpack, table.pack
  local str_char, str_gsub, utf8_char = string.char, string.gsub, utf8.char
  local math_type, error, select, tostring = math.type, error, select, tostring
  local dump, getupvalue, setupvalue = tools.dump, tools.getupvalue, tools.setupvalue
  local upvalueid, upvaluejoin, getinfo = tools.upvalueid, tools.upvaluejoin, tools.getinfo
  local getmetatable, setmetatable = tools.getmetatable, tools.setmetatable
  local load, co_status, co_create, co_resume = tools.load, tools.co_status, tools.co_create,
    tools.co_resume
  local ids = tools.ids
  local MAGIC = "AOSNAP1\0"

  -- A closure's prototype never changes: dump it once (string.dump is most of a save's
  -- cost otherwise), and keep one string per distinct prototype.
  local dumped = setmetatable({}, { __mode = "k" })
  local canonical = setmetatable({}, { __mode = "v" })
  local function dump_of(f)
    local code = dumped[f]
    if code == nil then
      code = dump(f)
      code = canonical[code] or code
      canonical[code] = code
      dumped[f] = code
    end
    return code
  end
  local MAX_HOLEY = 100000   -- longest array with holes a restore rebuilds exactly

  -- Anchored tables: held by the runtime's own closures, refilled in place on restore.
  local anchors = tools.anchors          -- name -> table (this state's)
  local anchor_name = {}
  for name, t in pairs_raw, anchors do anchor_name[t] = name end

  -- The runtime's functions by name, as reachable from the globals right now (before the
  -- library), walked in sorted order so every state names them alike.
  local fixed, fixed_name = {}, {}
  do
    local seen = {}
    local function walk(t, path, depth)
      if seen[t] or depth > 4 then return end
      seen[t] = true
      local keys = {}
      for k in pairs_raw, t do
        if type(k) == "string" then keys[#keys + 1] = k end
      end
      tsort(keys)
      for i = 1, #keys do
        local k = keys[i]
        local v = rawget(t, k)
        local name = path == "" and k or (path .. "." .. k)
        if type(v) == "function" and not fixed_name[v] then
          fixed[name], fixed_name[v] = v, name
        elseif type(v) == "table" then
          walk(v, name, depth + 1)
        end
      end
    end
    walk(anchors.G, "", 0)
    for name, probe in pairs_raw, tools.probes do
      local v = probe()
      if type(v) == "function" and not fixed_name[v] then
        fixed[name], fixed_name[v] = v, name
      end
    end
  end

  -- -- saving ------------------------------------------------------------------------
  local T_NIL, T_FALSE, T_TRUE, T_INT, T_FLOAT, T_STR, T_REF, T_FIXED = 0, 1, 2, 3, 4, 5, 6, 7
  local O_TABLE, O_ANCHOR, O_CLOSURE, O_DEAD = 1, 2, 3, 4

  -- Order object keys that have no id yet by what they hold, a few levels deep; only keys
  -- alike to that depth keep the order of raw next (and then look the same written out).
  local function shape(v, depth)
    local tv = type(v)
    if tv == "string" then return "s" .. v end
    if tv == "number" then
      return math_type(v) == "integer" and str_format("i%d", v) or str_format("f%.17g", v)
    end
    if tv == "boolean" then return v and "T" or "F" end
    local id = ids[v]
    if id then return str_format("#%d", id) end
    if fixed_name[v] then return "x" .. fixed_name[v] end
    if tv == "function" then
      local info = getinfo(v, "S")
      return str_format("f%s:%d", info.source, info.linedefined)
    end
    if tv ~= "table" or depth <= 0 then return tv end
    local parts = {}
    for k, x in pairs_raw, v do
      parts[#parts + 1] = shape(k, 0) .. "=" .. shape(x, depth - 1)
    end
    tsort(parts)
    return "{" .. tconcat(parts, ",") .. "}"
  end

  local function key_order(t)
    local nums, strs, others = {}, {}, {}
    local has_false, has_true = false, false
    for k in pairs_raw, t do
      local tk = type(k)
      if tk == "number" then nums[#nums + 1] = k
      elseif tk == "string" then strs[#strs + 1] = k
      elseif k == true then has_true = true
      elseif k == false then has_false = true
      else others[#others + 1] = k end
    end
    tsort(nums)
    tsort(strs)
    local keys = nums
    for i = 1, #strs do keys[#keys + 1] = strs[i] end
    if has_false then keys[#keys + 1] = false end
    if has_true then keys[#keys + 1] = true end
    if #others > 0 then
      local rank = {}
      for i = 1, #others do
        local k = others[i]
        local id = ids[k]
        rank[k] = id and str_format("0%020d", id)
          or ("1" .. shape(k, 3) .. "=" .. shape(rawget(t, k), 2))
      end
      tsort(others, function(a, b) return rank[a] < rank[b] end)
      for i = 1, #others do keys[#keys + 1] = others[i] end
    end
    return keys
  end

  -- The library's prototypes by name (see aos.runtime.snapshot: the same list for every
  -- state of this build), so that a snapshot does not carry the library's bytecode.
  local library_name, library_dump = {}, {}
  function tools.set_library(list)
    for name, code in pairs_raw, list do
      library_name[code], library_dump[name] = name, code
    end
  end

  -- Every Lua closure reachable from `roots`, by a path of sorted keys: what a fresh
  -- library leaves in a state (aos.runtime computes the list once per build).
  function tools.closures(roots, names)
    local found, seen, out = {}, {}, {}
    local function walk(v, path, depth)
      local tv = type(v)
      if (tv ~= "table" and tv ~= "function") or seen[v] or fixed_name[v] or depth > 12 then
        return
      end
      seen[v] = true
      if tv == "function" then
        if getinfo(v, "S").what ~= "C" then
          local code = dump(v)
          if not found[code] then found[code] = true; out[path] = code end
        end
        local u = 1
        while true do
          local name, uv = getupvalue(v, u)
          if name == nil then break end
          walk(uv, path .. "^" .. name, depth + 1)
          u = u + 1
        end
        return
      end
      local keys = key_order(v)
      for i = 1, #keys do
        local k = keys[i]
        if type(k) == "string" then
          walk(rawget(v, k), path .. "." .. k, depth + 1)
        elseif math_type(k) == "integer" then
          walk(rawget(v, k), str_format("%s[%d]", path, k), depth + 1)
        end
      end
      walk(getmetatable(v), path .. "#mt", depth + 1)
    end
    for i = 1, #names do walk(roots[names[i]], names[i], 0) end
    return out
  end

  -- Bytes 0x80-0xFF as the UTF-8 of U+0080-U+00FF: what lupa hands Python is then valid
  -- UTF-8, and Python's latin-1 encoding of it gives the bytes back exactly.
  local latin1 = {}
  for b = 128, 255 do latin1[str_char(b)] = utf8_char(b) end
  function tools.as_text(data) return (str_gsub(data, "[\128-\255]", latin1)) end

  function tools.save(roots, root_names)
    local out, n_out = {}, 0
    local function put(s) n_out = n_out + 1; out[n_out] = s end
    local index, objects, queue, head = {}, {}, {}, 1
    local protos, proto_index = {}, {}
    local cells = {}     -- upvalueid -> cell number
    local ncells = 0
    local reason

    local function ref(v)
      local i = index[v]
      if i then return i end
      i = #objects + 1
      objects[i] = v
      index[v] = i
      queue[#queue + 1] = v
      return i
    end

    local function value(v)
      local tv = type(v)
      if tv == "nil" then return pack("<B", T_NIL) end
      if tv == "boolean" then return pack("<B", v and T_TRUE or T_FALSE) end
      if tv == "number" then
        if math_type(v) == "integer" then return pack("<Bj", T_INT, v) end
        return pack("<Bn", T_FLOAT, v)
      end
      if tv == "string" then return pack("<Bs4", T_STR, v) end
      local name = fixed_name[v]
      if name then return pack("<Bs4", T_FIXED, name) end
      return pack("<BI4", T_REF, ref(v))
    end

    -- Objects are numbered as they are met, roots first: the order is the key order.
    local body, n_body = {}, 0
    local function emit(s) n_body = n_body + 1; body[n_body] = s end
    local root_parts = {}
    for i = 1, #root_names do
      root_parts[i] = pack("<s4", root_names[i]) .. value(roots[root_names[i]])
    end
    while head <= #queue do
      local v = queue[head]
      head = head + 1
      local tv = type(v)
      if tv == "table" then
        local keys = key_order(v)
        -- `#t` is any border of t, chosen by its array part's size: when 1..#t are not all
        -- there, or integer keys lie beyond #t, another layout may give another border,
        -- so such a table is rebuilt with an array part of exactly #t (and checked).
        local border = rawlen(v)
        local irregular = false
        for i = 1, border do
          if rawget(v, i) == nil then irregular = true break end
        end
        if not irregular then
          for i = #keys, 1, -1 do
            local k = keys[i]
            if math_type(k) == "integer" then irregular = k > border break end
          end
        end
        if irregular and border > MAX_HOLEY then
          return nil, str_format("an array of %d slots with holes", border)
        end
        local an = anchor_name[v]
        if an then emit(pack("<Bs4", O_ANCHOR, an)) else emit(pack("<B", O_TABLE)) end
        emit(pack("<I4I4", irregular and border + 1 or 0, #keys))
        for i = 1, #keys do
          local k = keys[i]
          emit(value(k))
          emit(value(rawget(v, k)))
        end
        emit(value(getmetatable(v)))
      elseif tv == "function" then
        if getinfo(v, "S").what == "C" then
          return nil, "a C function that is not part of the runtime"
        end
        local code = dump_of(v)
        local p = proto_index[code]
        if not p then
          p = #protos + 1
          protos[p], proto_index[code] = code, p
        end
        local ups = {}
        local u = 1
        while true do
          local name, uv = getupvalue(v, u)
          if name == nil then break end
          local id = upvalueid(v, u)
          local cell = cells[id]
          if cell then
            ups[u] = pack("<I4B", cell, 0)
          else
            ncells = ncells + 1
            cells[id] = ncells
            ups[u] = pack("<I4B", ncells, 1) .. value(uv)
          end
          u = u + 1
        end
        emit(pack("<BI4I4", O_CLOSURE, p, #ups))
        for i = 1, #ups do emit(ups[i]) end
      elseif tv == "thread" then
        if co_status(v) ~= "dead" then
          reason = "a coroutine that is " .. co_status(v) .. " (a Receive is waiting)"
          return nil, reason
        end
        emit(pack("<B", O_DEAD))
      else
        return nil, "a value of type " .. tv
      end
    end
    -- Ids of the objects and of the named functions that got one.
    local id_parts, nid = {}, 0
    for i = 1, #objects do
      local id = ids[objects[i]]
      if id then nid = nid + 1; id_parts[nid] = pack("<BI4j", 0, i, id) end
    end
    local named = {}
    for name, f in pairs_raw, fixed do
      if ids[f] then named[#named + 1] = name end
    end
    tsort(named)
    for i = 1, #named do
      nid = nid + 1
      id_parts[nid] = pack("<Bs4j", 1, named[i], ids[fixed[named[i]]])
    end
    for name, t in pairs_raw, anchors do
      if ids[t] and not index[t] then
        return nil, "an anchored table with an id that is not reachable: " .. name
      end
    end
    put(MAGIC)
    put(pack("<I4I4", #protos, #objects))
    -- A prototype of the library (the same bytes in every state) goes by its name; one
    -- compiled from the process's own code goes as its bytecode.
    for i = 1, #protos do
      local name = library_name[protos[i]]
      if name then put(pack("<Bs4", 1, name)) else put(pack("<Bs4", 0, protos[i])) end
    end
    put(tconcat(body))
    put(pack("<I4", #root_parts))
    put(tconcat(root_parts))
    put(pack("<I4", nid))
    put(tconcat(id_parts))
    put(pack("<j", tools.get_next_id()))
    return tconcat(out, "", 1, n_out), objects
  end

  -- -- restoring ---------------------------------------------------------------------
  -- `reuse`: the objects of the state the snapshot was taken from, in snapshot order
  -- (a checkpoint restored in place): each is refilled rather than made again, so no
  -- bytecode is loaded. An array with holes is made again all the same (its array part
  -- may have grown since, and `#` must give the border it gave).
  function tools.restore(data, reuse)
    if str_sub(data, 1, #MAGIC) ~= MAGIC then error("not a process snapshot", 0) end
    local pos = #MAGIC + 1
    local function read(fmt)
      local a, b, c = unpack(fmt, data, pos)
      -- string.unpack returns the values, then the next position.
      if c ~= nil then pos = c; return a, b end
      pos = b
      return a
    end
    local nprotos, nobjects = read("<I4I4")
    local protos = {}
    for i = 1, nprotos do
      local by_name, code = read("<Bs4")
      if by_name == 1 then
        local name = code
        code = library_dump[name]
        if code == nil then error("snapshot names an unknown library function " .. name, 0) end
      end
      local fn, err = load(code, nil, "b")
      if not fn then error("snapshot proto " .. i .. ": " .. tostring(err), 0) end
      protos[i] = code
    end
    local objects = {}
    local kinds, pending = {}, {}
    local function value()
      local tag = read("<B")
      if tag == T_NIL then return nil end
      if tag == T_FALSE then return false end
      if tag == T_TRUE then return true end
      if tag == T_INT then return read("<j") end
      if tag == T_FLOAT then return read("<n") end
      if tag == T_STR then return read("<s4") end
      if tag == T_FIXED then
        local name = read("<s4")
        local f = fixed[name]
        if f == nil then error("snapshot names an unknown runtime function " .. name, 0) end
        return f
      end
      if tag == T_REF then
        local i = read("<I4")
        local o = objects[i]
        if o == nil then
          -- Forward reference: created now, filled when its record is read.
          o = pending[i]
          if o == nil then error("snapshot refers to object " .. i .. " out of order", 0) end
        end
        return o
      end
      error("snapshot: bad value tag " .. tag, 0)
    end
    -- Objects must exist before anything refers to them: a first pass creates each one
    -- from its record head, a second reads the record again and fills it.
    local start = pos
    local heads = {}
    local function skip_value()
      local tag = read("<B")
      if tag == T_INT then read("<j") elseif tag == T_FLOAT then read("<n")
      elseif tag == T_STR or tag == T_FIXED then read("<s4")
      elseif tag == T_REF then read("<I4") end
    end
    for i = 1, nobjects do
      heads[i] = pos
      local kind = read("<B")
      kinds[i] = kind
      if kind == O_TABLE or kind == O_ANCHOR then
        local name = kind == O_ANCHOR and read("<s4") or nil
        local shape, nkeys = read("<I4I4")
        local t
        local again = reuse and reuse[i]
        if name then
          t = anchors[name]
          if t == nil then error("snapshot names an unknown anchored table " .. name, 0) end
          setmetatable(t, nil)
          for k in pairs_raw, t do rawset(t, k, nil) end
        elseif again and shape == 0 then
          t = again
          setmetatable(t, nil)
          for k in pairs_raw, t do rawset(t, k, nil) end
          tools.forget_order(t)
        elseif shape > 1 then
          -- table.pack's array part is exactly as long as its arguments: an array of #t
          -- slots, whatever came before, so that `#t` gives the same border.
          local filler = {}
          for j = 1, shape - 1 do filler[j] = true end
          t = tpack(tunpack(filler, 1, shape - 1))
          t.n = nil
        else
          t = {}
        end
        pending[i] = t
        for _ = 1, nkeys do skip_value(); skip_value() end
        skip_value()
      elseif kind == O_CLOSURE then
        local p, nups = read("<I4I4")
        pending[i] = (reuse and reuse[i]) or load(protos[p], nil, "b")
        for _ = 1, nups do
          local _, first = read("<I4B")
          if first == 1 then skip_value() end
        end
      elseif kind == O_DEAD then
        local co = reuse and reuse[i]
        if not co then
          co = co_create(function() end)
          co_resume(co)
        end
        pending[i] = co
      else
        error("snapshot: bad object kind " .. kind, 0)
      end
    end
    local after_objects = pos
    -- Second pass: fill tables, set upvalues (joining shared cells), metatables last.
    local cell_owner = {}
    local metas, meta_of, nmetas = {}, {}, 0
    pos = start
    for i = 1, nobjects do
      objects[i] = pending[i]
    end
    for i = 1, nobjects do
      pos = heads[i]
      local kind = read("<B")
      local o = objects[i]
      if kind == O_TABLE or kind == O_ANCHOR then
        if kind == O_ANCHOR then read("<s4") end
        local shape, nkeys = read("<I4I4")
        for j = 1, shape - 1 do rawset(o, j, nil) end
        for _ = 1, nkeys do
          local k = value()
          local v = value()
          rawset(o, k, v)
        end
        nmetas = nmetas + 1
        metas[nmetas] = o
        meta_of[nmetas] = value()
        if shape > 0 and rawlen(o) ~= shape - 1 then
          error("snapshot: an array with holes did not rebuild to the same length", 0)
        end
      elseif kind == O_CLOSURE then
        local _, nups = read("<I4I4")
        for u = 1, nups do
          local cell, first = read("<I4B")
          if first == 1 then
            setupvalue(o, u, value())
            cell_owner[cell] = { o, u }
          else
            -- joined even when the closure is reused: the cell's first holder may have
            -- been made again (kept objects are weak), and a reused one must share it
            local owner = cell_owner[cell]
            upvaluejoin(o, u, owner[1], owner[2])
          end
        end
      end
    end
    pos = after_objects
    for i = 1, nmetas do setmetatable(metas[i], meta_of[i]) end
    local roots = {}
    local nroots = read("<I4")
    for _ = 1, nroots do
      local name = read("<s4")
      roots[name] = value()
    end
    -- Ids that named functions or anchored tables got after the snapshot was taken
    -- must go (a rollback); the snapshot's own ids follow.
    for _, f in pairs_raw, fixed do ids[f] = nil end
    for i = 1, nobjects do ids[objects[i]] = nil end
    for _, t in pairs_raw, anchors do ids[t] = nil; tools.forget_order(t) end
    local nid = read("<I4")
    for _ = 1, nid do
      local which = read("<B")
      if which == 0 then
        local i, id = read("<I4j")
        ids[objects[i]] = id
      else
        local name, id = read("<s4j")
        ids[fixed[name]] = id
      end
    end
    tools.set_next_id(read("<j"))
    if pos ~= #data + 1 then error("snapshot: trailing bytes", 0) end
    return roots, objects
  end

  -- -- the runtime's interface (aos.runtime.lua) --------------------------------------
  local ROOT_NAMES = { "G", "loaded", "preload", "string", "decoy", "env" }
  local function roots(env)
    local r = {}
    for name, t in pairs_raw, anchors do r[name] = t end
    r.env = env
    return r
  end
  -- {path: bytecode as text (see as_text)} of the closures this state holds.
  function tools.list_library()
    local found = tools.closures(roots(nil), ROOT_NAMES)
    for name, code in pairs_raw, found do found[name] = tools.as_text(code) end
    return found
  end

  -- The checkpoint: the objects of the last snapshot are kept here, inside the state, where
  -- no process code can reach them, so that a rollback restores them in place. Its bytes
  -- are handed to the runtime (`take_kept`) and leave the state: kept here, they would
  -- count against the process's memory cap, so a process that holds half its cap (a
  -- stranger's messages in its Inbox) could no longer run anything, and whether a message
  -- hits the cap would depend on when the last checkpoint was taken.
  --
  -- The objects are held weakly, for the same reasons: held strongly, what the process
  -- dropped since the checkpoint would stay in memory (and in its weak tables) until the
  -- next one, and checkpoints are taken when the evaluation time says so. An object the
  -- collector took is made again by the restore, as from a stored snapshot.
  local WEAK_VALUES = { __mode = "v" }
  local kept, kept_objects = nil, nil
  local function hold(objects)
    kept_objects = setmetatable(objects, WEAK_VALUES)
  end
  function tools.keep(env)
    local data, objects_or_why = tools.save(roots(env), ROOT_NAMES)
    if not data then return false, objects_or_why end
    kept = data
    hold(objects_or_why)
    return true, nil
  end
  function tools.take_kept()
    local data = kept
    kept = nil
    return tools.as_text(data)
  end
  function tools.restore_bytes(data)
    local r, objects = tools.restore(data)
    hold(objects)
    return r.env
  end
  function tools.restore_kept(data)
    if data == nil or kept_objects == nil then error("no checkpoint to roll back to", 0) end
    local r, objects = tools.restore(data, kept_objects)
    hold(objects)
    return r.env
  end

  return tools
end
