--[[ assert.lua (`.testing.assert`): the `assert` of spec files in `aos test`.

  assert(v [, message])                 as Lua's: v must be truthy
  assert.equal(expected, actual [, m])  expected == actual
  assert.not_equal(unexpected, actual [, m])
  assert.same(expected, actual [, m])   deep equality of tables (metatables ignored)
  assert.truthy(v [, m]) / assert.falsy(v [, m])
  assert.error(fn [, text])             fn() raises; text, if given, is the message without
                                        its "file:line: " position
  assert.error_matches(fn, pattern)     fn() raises a message that matches pattern
  assert.matches(pattern, s [, m, plain])  string.find(s, pattern, 1, plain)
  assert.no_error(result)               a result of p:send/p:dryrun has no Error
  assert.sent(spec) / assert.not_sent(spec)   (from ao_test: what processes sent)

A failing assertion raises a failure value (see `failure`), which the runner reports with
the spec line that made it, and the expected and actual values written by `.testing.show`.
]]

local show = require(".testing.show")

local assert = {}
local FAILURE = {}          -- the metatable that marks a failure value

--- Raise a failure: `message`, and `fields` for the report (expected, actual and their
--- blocks, already written as text by .testing.show).
function assert.failure(message, fields)
  local f = { message = message }
  if fields then
    for k, v in pairs(fields) do f[k] = v end
  end
  return error(setmetatable(f, FAILURE), 0)
end

FAILURE.__tostring = function(f) return f.message end

function assert.is_failure(v)
  return getmetatable(v) == FAILURE
end

local function values(expected, actual)
  local fields = { expected = show.inline(expected), actual = show.inline(actual) }
  if type(expected) == "table" or type(actual) == "table" then
    fields.expected_block, fields.actual_block = show.block(expected), show.block(actual)
  elseif type(expected) == "string" and type(actual) == "string"
      and (expected:find("\n", 1, true) or actual:find("\n", 1, true)) then
    fields.expected_block, fields.actual_block = expected, actual
  end
  return fields
end

local function title(name, what, message)
  if message ~= nil then return name .. " failed: " .. tostring(message) end
  return name .. " failed: " .. what
end

function assert.equal(expected, actual, message)
  if expected ~= actual then
    assert.failure(title("assert.equal", "the values differ", message),
      values(expected, actual))
  end
  return actual
end

function assert.not_equal(unexpected, actual, message)
  if unexpected == actual then
    assert.failure(title("assert.not_equal", "the values are equal", message),
      { actual = show.inline(actual) })
  end
  return actual
end

-- The path of the first difference of a and b (nil when they are the same).
local function difference(a, b, path, seen)
  if a == b then return nil end
  if type(a) ~= "table" or type(b) ~= "table" then return path end
  seen = seen or {}
  if seen[a] == b then return nil end
  seen[a] = b
  for k, v in pairs(a) do
    local at = difference(v, b[k], path .. "[" .. show.inline(k) .. "]", seen)
    if at then return at end
  end
  for k in pairs(b) do
    if a[k] == nil then return path .. "[" .. show.inline(k) .. "]" end
  end
  return nil
end

function assert.same(expected, actual, message)
  local at = difference(expected, actual, "")
  if at then
    local what = at == "" and "the values differ" or ("they differ at " .. at)
    local fields = values(expected, actual)
    assert.failure(title("assert.same", what, message), fields)
  end
  return actual
end

function assert.truthy(v, message)
  if not v then
    assert.failure(title("assert.truthy", "the value is " .. show.inline(v), message),
      { actual = show.inline(v) })
  end
  return v
end

function assert.falsy(v, message)
  if v then
    assert.failure(title("assert.falsy", "the value is " .. show.inline(v), message),
      { actual = show.inline(v) })
  end
  return v
end

-- An error message without the position Lua put in front of it.
local function bare(e)
  if type(e) ~= "string" then return e end
  return (e:gsub("^[^\n]-:%d+: ", "", 1))
end

local function raised(name, fn)
  if type(fn) ~= "function" then
    error(name .. " needs a function to call, got " .. type(fn), 3)
  end
  local ok, err = pcall(fn)
  if ok then
    assert.failure(name .. " failed: the function returned without an error")
  end
  if assert.is_failure(err) then err = err.message end
  return err
end

function assert.error(fn, text)
  local err = raised("assert.error", fn)
  if text ~= nil and bare(err) ~= text and err ~= text then
    assert.failure("assert.error failed: another error was raised",
      { expected = show.inline(text), actual = show.inline(bare(err)) })
  end
  return err
end

function assert.error_matches(fn, pattern)
  local err = raised("assert.error_matches", fn)
  if type(err) ~= "string" or not err:find(pattern) then
    assert.failure("assert.error_matches failed: the error does not match " ..
      show.inline(pattern), { actual = show.inline(err) })
  end
  return err
end

function assert.matches(pattern, s, message, plain)
  if type(s) ~= "string" or not s:find(pattern, 1, plain) then
    assert.failure(title("assert.matches", "no match for " .. show.inline(pattern), message),
      { actual = show.inline(s) })
  end
  return s
end

-- As ao_test.error_of (no require of ao_test here: it requires this module).
local function error_message(raw)
  local s = tostring(raw):gsub("\27%[[%d;?]*%a", "")
  s = s:match(".*error:\n(.*)$") or s
  return (s:gsub('%[string "%.[^"]*"%]:%d+: ', ""))
end

function assert.no_error(result)
  if type(result) ~= "table" then
    assert.failure("assert.no_error failed: expected a result, got " .. show.inline(result))
  end
  if result.Error ~= nil then
    assert.failure("assert.no_error failed: the message failed: " ..
      error_message(result.Error))
  end
  return result
end

return setmetatable(assert, {
  __call = function(_, v, message, ...)
    if not v then
      assert.failure(message ~= nil and tostring(message) or "assertion failed!")
    end
    return v, message, ...
  end,
})
