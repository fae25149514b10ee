--- pretty: `tprint`, an indented `key: value` listing of a table (required as `.pretty`).
--
-- tprint(t[, indent]) -> string: one line per key, nested tables below their key indented
-- by one more space, keys in a fixed order (numbers ascending, then strings, then the rest
-- by type), so the text never depends on the order `pairs` happens to walk a table. A
-- table met again on its own path prints as `<circular>`.

local pretty = { _version = "1.0.0" }

local type_rank = { number = 1, string = 2, boolean = 3 }

-- A total order over keys of mixed types.
local function key_less(a, b)
  local ta, tb = type(a), type(b)
  if ta ~= tb then
    return (type_rank[ta] or 4) < (type_rank[tb] or 4) or
      (type_rank[ta] or 4) == (type_rank[tb] or 4) and ta < tb
  end
  if ta == "number" or ta == "string" then return a < b end
  if ta == "boolean" then return not a and b end
  return false
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, key_less)
  return keys
end

local function render(t, indent, seen, out)
  seen[t] = true
  local pad = string.rep(" ", indent)
  for _, k in ipairs(sorted_keys(t)) do
    local v = t[k]
    local head = pad .. tostring(k) .. ": "
    if type(v) == "table" then
      if seen[v] then
        out[#out + 1] = head .. "<circular>\n"
      else
        out[#out + 1] = head .. "\n"
        render(v, indent + 1, seen, out)
      end
    else
      out[#out + 1] = head .. tostring(v) .. "\n"
    end
  end
  seen[t] = nil
end

--- Lists a table as indented `key: value` lines.
function pretty.tprint(t, indent)
  if type(t) ~= "table" then
    error("pretty.tprint: expected a table, got a " .. type(t), 2)
  end
  local out = {}
  render(t, indent or 0, {}, out)
  return table.concat(out)
end

pretty.sorted_keys = sorted_keys
pretty.key_less = key_less

return pretty
