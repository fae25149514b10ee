--[[ ao.lua (`ao`, `.ao`): the process's view of the ao network (docs/compat.md §3.4, §3.5).

Holds the process identity (`id`, `_module`, `authorities`, `env`), the outbox of the
message being handled (`outbox.Messages/Spawns/Assignments`), the reference counter that
numbers every outgoing message, and the assignables that let foreign messages in.
]]

local utils = require(".utils")

-- aos checks the arguments of send/spawn/assign with assert, and Lua 5.3's assert adds
-- the position of the check: the line of aos's bundled ao module. Users see that text
-- (inside the handler error), so it is written as aos writes it.
local function fail(line, text)
  error('[string ".ao"]:' .. line .. ": " .. text, 0)
end

local ao = {
  _version = "0.0.6",
  id = "",
  _module = "",
  authorities = {},
  reference = 0,
  outbox = { Output = {}, Messages = {}, Spawns = {}, Assignments = {} },
  assignables = {},
  nonExtractableTags = {
    "Data-Protocol", "Variant", "From-Process", "From-Module", "Type", "From", "Owner",
    "Anchor", "Target", "Data", "Tags", "Read-Only",
  },
  nonForwardableTags = {
    "Data-Protocol", "Variant", "From-Process", "From-Module", "Type", "From", "Owner",
    "Anchor", "Target", "Tags", "TagArray", "Hash-Chain", "Timestamp", "Nonce", "Epoch",
    "Signature", "Forwarded-By", "Pushed-For", "Read-Only", "Cron", "Block-Height",
    "Reference", "Id", "Reply-To",
  },
}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
local non_extractable = set_of(ao.nonExtractableTags)
local non_forwardable = set_of(ao.nonForwardableTags)
-- Root keys of an outgoing message that are not turned into tags.
local not_tags = { Target = true, Data = true, Anchor = true, Tags = true, From = true }

local function tag_value(v)
  local t = type(v)
  if t == "string" then return v end
  if t == "number" or t == "boolean" then return tostring(v) end
  if t == "table" then return require("json").encode(v) end
  return nil
end

local function add_tag(tags, name, value)
  value = tag_value(value)
  if value ~= nil then tags[#tags + 1] = { name = name, value = value } end
end

--- Extra tags of an outgoing message: every root key but the reserved ones, then msg.Tags
--- (an array of {name, value} or a map).
local function add_custom_tags(tags, msg, skip)
  for k, v in pairs(msg) do
    if not skip[k] and type(k) == "string" then add_tag(tags, k, v) end
  end
  if type(msg.Tags) == "table" then
    if msg.Tags[1] ~= nil then
      for _, t in ipairs(msg.Tags) do add_tag(tags, t.name, t.value) end
    else
      for k, v in pairs(msg.Tags) do add_tag(tags, k, v) end
    end
  end
end

local function has_tag(tags, name)
  for _, t in ipairs(tags) do
    if t.name == name then return true end
  end
  return false
end

--- Table Data travels as JSON, marked with Content-Type so the receiver decodes it.
local function encode_data(tags, data)
  if type(data) == "table" then
    if not has_tag(tags, "Content-Type") then
      tags[#tags + 1] = { name = "Content-Type", value = "application/json" }
    end
    return require("json").encode(data)
  end
  return data
end

--- Called on every message with the CU's env: identity, module, authorities.
function ao.init(env)
  if ao.id == "" and env.Process then ao.id = env.Process.Id end
  if env.Process and env.Process.Id then ao.id = env.Process.Id end
  local tags = (env.Process and env.Process.Tags) or {}
  for _, t in ipairs(tags) do
    if t.name == "Module" and ao._module == "" then ao._module = t.value end
    if t.name == "Authority" and type(t.value) == "string" then
      for part in string.gmatch(t.value, "[^,]+") do
        -- Taken as written, spaces included, as aos does.
        if not utils.includes(part, ao.authorities) then
          ao.authorities[#ao.authorities + 1] = part
        end
      end
    end
  end
  ao.outbox = { Output = {}, Messages = {}, Spawns = {}, Assignments = {} }
  ao.env = env
end

function ao.clearOutbox()
  ao.outbox = { Output = {}, Messages = {}, Spawns = {}, Assignments = {} }
end

--- Copy tags onto the message root (the last duplicate wins), except the reserved ones.
function ao.normalize(msg)
  local tags = msg.TagArray or msg.Tags
  if type(tags) ~= "table" then return msg end
  for i = 1, #tags do
    local t = tags[i]
    local name = t.name
    if not non_extractable[name] then msg[name] = t.value end
  end
  return msg
end

local function deep_copy(v, seen)
  if type(v) ~= "table" then return v end
  seen = seen or {}
  if seen[v] then return seen[v] end
  local out = {}
  seen[v] = out
  for k, x in pairs(v) do out[deep_copy(k, seen)] = deep_copy(x, seen) end
  return out
end
ao.clone = deep_copy

--- A deep copy of msg without the keys that must not be forwarded.
function ao.sanitize(msg)
  local out = deep_copy(msg)
  for k in pairs(out) do
    if non_forwardable[k] then out[k] = nil end
  end
  return out
end

function ao.log(txt)
  local out = ao.outbox.Output
  if type(out) == "string" then
    ao.outbox.Output = { out, txt }
  elseif type(out) == "table" then
    out[#out + 1] = txt
  end
end

function ao.isTrusted(msg)
  for _, a in ipairs(ao.authorities) do
    if msg.From == a or msg.Owner == a then return true end
  end
  return false
end

-- Every outgoing message and spawn takes the next number: its Reference tag, and (for a
-- message) its 32-digit Anchor.
local function next_reference()
  ao.reference = ao.reference + 1
  return tostring(ao.reference)
end

function ao.send(msg)
  if type(msg) ~= "table" then fail(367, "msg should be a table") end
  local ref = next_reference()
  local tags = {
    { name = "Data-Protocol", value = "ao" },
    { name = "Variant", value = "ao.TN.1" },
    { name = "Type", value = "Message" },
    { name = "Reference", value = ref },
  }
  add_custom_tags(tags, msg, not_tags)
  local message = {
    Target = msg.Target,
    Anchor = string.format("%032d", ao.reference),
    Tags = tags,
  }
  -- An absent Data still travels as an empty data item.
  message.Data = encode_data(tags, msg.Data)
  if message.Data == nil then message.Data = "" end
  local out = ao.outbox.Messages
  out[#out + 1] = message

  -- The caller's copy also knows how to wait for the answer.
  local ret = {}
  for k, v in pairs(message) do ret[k] = v end
  local target = msg.Target
  function ret.onReply(from, handler)
    if handler == nil then from, handler = nil, from end
    return require(".handlers").once(
      { From = from or target, ["X-Reference"] = ref }, handler)
  end
  function ret.receive(from)
    return require(".handlers").receive({ From = from or target, ["X-Reference"] = ref })
  end
  return ret
end

function ao.spawn(module, msg)
  if type(module) ~= "string" then fail(523, "Module source id is required!") end
  if type(msg) ~= "table" then fail(525, "Message must be a table") end
  local ref = next_reference()
  local tags = {
    { name = "Data-Protocol", value = "ao" },
    { name = "Variant", value = "ao.TN.1" },
    { name = "Type", value = "Process" },
    { name = "From-Process", value = ao.id },
    { name = "From-Module", value = ao._module },
    { name = "Module", value = module },
    { name = "Reference", value = ref },
  }
  add_custom_tags(tags, msg, not_tags)
  local spawn = { Anchor = string.format("%032d", ao.reference), Tags = tags }
  spawn.Data = encode_data(tags, msg.Data or "NODATA")
  local out = ao.outbox.Spawns
  out[#out + 1] = spawn

  local ret = {}
  for k, v in pairs(spawn) do ret[k] = v end
  local pattern = { Action = "Spawned", From = ao.id, Reference = ref }
  function ret.onReply(handler) return require(".handlers").once(pattern, handler) end
  function ret.receive() return require(".handlers").receive(pattern) end
  return ret
end

function ao.assign(assignment)
  if type(assignment) ~= "table" then fail(819, "assignment should be a table") end
  if type(assignment.Processes) ~= "table" then fail(821, "Processes should be a table") end
  if type(assignment.Message) ~= "string" then fail(823, "Message should be a string") end
  local out = ao.outbox.Assignments
  out[#out + 1] = assignment
end

--- The module's answer: only {Error} when anything failed, else the outbox.
function ao.result(r)
  r = r or {}
  local err = r.Error or ao.outbox.Error
  if err then return { Error = err } end
  return {
    Output = r.Output or ao.outbox.Output,
    Messages = ao.outbox.Messages,
    Spawns = ao.outbox.Spawns,
    Assignments = ao.outbox.Assignments,
  }
end

require(".assignment")(ao)

return ao
