--[[ stringify.lua (`.stringify`): the coloured table rendering that `print` and Eval use.

  format({1, 2, "a"})  → { 1, 2, "a" }  numbers blue, strings green and quoted
  format({a = 1})      → {\n  a = 1\n}  one `key = value` per line, keys red
A table met again while it is being rendered prints as <circular reference>.
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

--- A sequence 1..n whose values are all scalars (rendered on one line).
function stringify.isSimpleArray(t)
  if type(t) ~= "table" then return false end
  local n = 0
  for _, v in pairs(t) do
    n = n + 1
    if type(v) == "table" then return false end
  end
  for i = 1, n do
    if t[i] == nil then return false end
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
  visited = visited or {}
  if visited[t] then return "<circular reference>" end
  visited[t] = true
  local parts = {}
  if stringify.isSimpleArray(t) then
    for i = 1, #t do parts[i] = scalar(t[i]) end
    visited[t] = nil
    if #parts == 0 then return "{}" end
    return "{ " .. table.concat(parts, ", ") .. " }"
  end
  local pad = string.rep(" ", indent + 2)
  for k, v in pairs(t) do
    local rendered
    if type(v) == "table" then
      rendered = stringify.format(v, indent + 2, visited)
    else
      rendered = scalar(v)
    end
    parts[#parts + 1] = pad .. colors.red .. tostring(k) .. colors.reset .. " = " .. rendered
  end
  visited[t] = nil
  return "{\n" .. table.concat(parts, ",\n") .. "\n" .. string.rep(" ", indent) .. "}"
end

return stringify
