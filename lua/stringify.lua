--[[ stringify.lua (`.stringify`): the coloured table rendering that `print` and Eval use.

The layout is aos's, quirks included, because it is what a user reads at the prompt:

  format({})           → {  }
  format({1, "a"})     → { 1, "a" }            numbers blue, strings green and quoted
  format({{1}, {2}})   → {\n  { 1 },\n  { 2 }\n }   arrays of tables: one item per line
  format({a = 1})      → {\n   a = 1\n}         keys red, one `key = value` per line
  format({1, 2, a = 3})→ {\n   a = 3\n}         once a key breaks the sequence, only the
                                                  keys from there on are shown
A table met a second time among key = value fields makes the whole table it sits in
print as <circular reference>.
]]

local stringify = { _version = "0.0.1" }

local colors = {
  red = "\27[31m",
  green = "\27[32m",
  blue = "\27[34m",
  gray = "\27[90m",
  reset = "\27[0m",
}
stringify.colors = colors

--- A sequence 1..n (in traversal order) whose values are all numbers or strings.
function stringify.isSimpleArray(t)
  local expected = 1
  for k, v in pairs(t) do
    local tv = type(v)
    if k ~= expected or (tv ~= "number" and tv ~= "string") then return false end
    expected = expected + 1
  end
  return true
end

local function scalar(v)
  if type(v) == "string" then
    return colors.green .. '"' .. v .. '"' .. colors.reset
  end
  return colors.blue .. tostring(v) .. colors.reset
end

function stringify.format(t, indent, visited)
  if type(t) ~= "table" then return tostring(t) end
  indent = indent or 0
  local pad = string.rep(" ", indent)
  local child = string.rep(" ", indent + 2)
  local parts = {}
  if stringify.isSimpleArray(t) then
    for i, v in ipairs(t) do parts[i] = scalar(v) end
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  local is_array, expected = true, 1
  for k, v in pairs(t) do
    if is_array then
      if k == expected then
        expected = expected + 1
        parts[#parts + 1] = child ..
          (type(v) == "table" and stringify.format(v, indent + 2) or scalar(v))
      else
        -- The sequence ends here: what was collected is dropped, as aos does.
        is_array, parts = false, {}
      end
    end
    if not is_array then
      local rendered
      if type(v) == "table" then
        visited = visited or {}
        if visited[v] then return "<circular reference>" end
        visited[v] = true
        rendered = stringify.format(v, indent + 2, visited)
      else
        rendered = scalar(v)
      end
      parts[#parts + 1] = child .. colors.red .. k .. colors.reset .. " = " .. rendered
    end
  end
  if is_array then
    return "{\n" .. table.concat(parts, ",\n") .. "\n" .. pad .. " }"
  end
  return "{\n " .. table.concat(parts, ",\n ") .. "\n" .. pad .. "}"
end

return stringify
