--[[ arns: resolve ArNS names from a process (aos's arns blueprint).

ARNS.resolve(name) asks the ArNS registry process for a record; ARNS.data(name),
ARNS.owner(name) and ARNS.id(name) answer from the local cache (NAMES), asking again when
a name is unknown or older than its TTL (24 hours, by message time), and `ARNS.clear`
empties the cache. Names are lower-cased; "under_root" names an undername of root.

Answers arrive as messages: the registry's Record-Resolved (then the ANT process's
Info-Notice, and SmartWeave state via 0rbit's Receive-data-feed for old contracts) fill
NAMES. A handler at the front keeps `Now` at the message's Timestamp.
]]

local json = require("json")

ID_TTL_MS = 24 * 60 * 60 * 1000
DATA_TTL_MS = 24 * 60 * 60 * 1000
OWNER_TTL_MS = 24 * 60 * 60 * 1000
SW_CACHE_URL = "https://api.arns.app/v1/contract/"
ARNS_PROCESS_ID = "TyduW6spZTr3gkdIsdktduJhgtilaR_ex5JukK8gI9o"
_0RBIT_SEND_PROCESS_ID = "BaMK1dfayo75s3q1ow6AO64UDpD9SEFbeE8xYrY2fyQ"
_0RBIT_RECEIVE_PROCESS_ID = "8aE3_6NJ_MU_q3fbhz2S6dA8PKQOSCe95Gt7suQ3j7U"

NAMES = NAMES or {}
ID_NAME_MAPPING = ID_NAME_MAPPING or {}
Now = Now or 0

--- "under_root" -> "root", "under"; a name without "_" -> name, nil.
function splitIntoTwoNames(name)
  local under, root = name:match("(.-)_([^_]+)$")
  if under and root then return tostring(root), tostring(under) end
  return name, nil
end

local function ask(name) ao.send({ Target = ARNS_PROCESS_ID, Action = "Get-Record", Name = name }) end

-- Ask again (and answer nil) when `entry` is older than `ttl`, else answer `value()`.
local function fresh(entry, ttl, name, what, value)
  if Now - entry.lastUpdated >= ttl then
    ask(name)
    print(name .. " is stale.  Refreshing name " .. what .. " now...")
    return nil
  end
  return value()
end

local function data(name)
  name = string.lower(name)
  local root, under = splitIntoTwoNames(name)
  local entry = NAMES[root]
  if entry == nil then
    ask(root)
    print(name .. " has not been resolved yet.  Resolving now...")
    return nil
  end
  local key = under or "@"
  local process, contract = entry.process, entry.contract
  if process and process.records[key] then
    return fresh(process, DATA_TTL_MS, name, "process",
      function() return process.records[key].transactionId end)
  elseif contract and contract.records[key] then
    -- Old ANT contracts keep the transaction id as the record itself.
    return fresh(contract, DATA_TTL_MS, name, "contract",
      function() return contract.records[key].transactionId or contract.records[key] end)
  end
  return nil
end

local function owner(name)
  name = string.lower(name)
  local root = splitIntoTwoNames(name)
  local entry = NAMES[root]
  if entry == nil then
    ask(root)
    print(name .. " has not been resolved yet.  Cannot get owner.  Resolving now...")
    return nil
  end
  if entry.process and entry.process.owner then
    return fresh(entry.process, OWNER_TTL_MS, name, "process",
      function() return entry.process.owner end)
  elseif entry.contract and entry.contract.owner then
    return fresh(entry.contract, OWNER_TTL_MS, name, "contract",
      function() return entry.contract.owner end)
  end
  return nil
end

local function id(name)
  name = string.lower(name)
  local root = splitIntoTwoNames(name)
  local entry = NAMES[root]
  if entry == nil then
    ask(name)
    print(name .. " has not been resolved yet.  Cannot get id.  Resolving now...")
    return nil
  end
  return fresh(entry, ID_TTL_MS, name, "data",
    function() return entry.processId or entry.contractTxId or nil end)
end

local function resolve(name)
  name = string.lower(name)
  ask(name)
  return "Getting information for name: " .. name
end

local methods = { resolve = resolve, data = data, owner = owner, id = id }

ARNS = setmetatable({}, {
  __index = function(_, key)
    if key == "clear" then
      NAMES = {}
      return "ArNS local name cache cleared."
    end
    return methods[key]
  end,
})

--- Ask 0rbit to fetch JSON from `url` (its answer is a Receive-data-feed message).
function fetchJsonDataFromOrbit(url)
  if type(url) ~= "string" or url == "" then
    print("Invalid URL provided for fetching JSON data.")
    return
  end
  ao.send({ Target = _0RBIT_SEND_PROCESS_ID, Action = "Get-Real-Data", Url = url })
end

function isArNSGetRecordMessage(msg)
  return msg.From == ARNS_PROCESS_ID and msg.Action == "Record-Resolved"
end

function isANTInfoMessage(msg)
  return ID_NAME_MAPPING[msg.From] ~= nil
end

function is0rbitMessage(msg)
  return msg.From == _0RBIT_RECEIVE_PROCESS_ID and msg.Action == "Receive-data-feed"
end

Handlers.prepend("ArNS-Timers", function() return "continue" end,
  function(msg) Now = msg.Timestamp end)

Handlers.add("ReceiveArNSGetRecordMessage", isArNSGetRecordMessage, function(msg)
  local record, err = json.decode(msg.Data)
  if not record or err then
    print("Error decoding JSON data: ", err)
    return
  end
  local name = msg.Tags.Name
  local entry = NAMES[name] or { lastUpdated = msg.Timestamp, contractTxId = record.contractTxId }
  NAMES[name] = entry
  entry.processId = record.processId
  entry.record = record
  entry.lastUpdated = msg.Timestamp
  print("Updated " .. name .. " with the latest ArNS-AO Registry info!")
  if record.contractTxId then
    local url = SW_CACHE_URL .. record.contractTxId
    print("...fetching more info from SmartWeave Cache (via 0rbit): " .. url)
    fetchJsonDataFromOrbit(url)
    ID_NAME_MAPPING[record.contractTxId] = name
  end
  if record.processId then
    print("...fetching more info from ANT-AO process: " .. record.processId)
    ID_NAME_MAPPING[record.processId] = name
    ao.send({ Target = record.processId, Action = "Info" })
  end
end)

Handlers.add("ReceiveANTProcessInfoMessage", isANTInfoMessage, function(msg)
  local name = ID_NAME_MAPPING[msg.From]
  if msg.Action ~= "Info-Notice" or not NAMES[name] then return end
  local entry = NAMES[name]
  local info, err = json.decode(msg.Data)
  if err then
    print("Error decoding process info: ", err)
    return
  end
  if type(info) == "table" then
    entry.process = info
    info.owner = msg.Tags.ProcessOwner
    info.lastUpdated = msg.Timestamp
    print("Updated " .. name .. " with the latest ANT-AO process info!")
  else
    print("Invalid process info format received from " .. name)
  end
  ID_NAME_MAPPING[msg.From] = nil
end)

Handlers.add("Receive0rbitMessage", is0rbitMessage, function(msg)
  local feed, err = json.decode(msg.Data)
  if err then
    print("Error decoding data from 0rbit message: ", err)
    return
  end
  local name = ID_NAME_MAPPING[feed.contractTxId]
  if not (name and NAMES[name]) then
    print("Received 0rbit message for an untracked or invalid contractTxId: " ..
      tostring(feed.contractTxId))
    return
  end
  if type(feed.state) == "table" then
    NAMES[name].contract = feed.state
    feed.state.lastUpdated = msg.Timestamp
    print("Updated " .. name .. " with the latest info from SmartWeave Cache (via 0rbit)!")
  else
    print("Received 0rbit message with invalid or missing 'state' information for " ..
      "contractTxId: " .. tostring(feed.contractTxId))
  end
  ID_NAME_MAPPING[feed.contractTxId] = nil
end)
