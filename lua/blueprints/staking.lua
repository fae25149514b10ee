--[[ staking: lock token balances for a while (builds on the token blueprint's Balances).

Load with `.load-blueprint staking` (after `token`, whose Balances it spends from).
State (globals): Stakers (account -> { amount = "<units>" }), Unstaking (account ->
{ amount = "<units>", release_at = <block height> }), UnstakeDelay (670 blocks).

Actions (Action tag), each replies and then lets later handlers see the message too:
  Stake     Quantity: moves units from Balances to Stakers; reply "Successfully Staked N"
  Unstake   Quantity: moves staked units to Unstaking, released UnstakeDelay blocks after
            this message's Block-Height; reply "Successfully unstaked N"
  Stakers   reply Data = JSON of Stakers
A handler at the front of the list runs on every message: it pays back every unstake whose
release height has been reached (by the message's Block-Height) into Balances.
]]

local bint = require(".bint")(256)
local json = require("json")

Balances = Balances or {}
Stakers = Stakers or {}
Unstaking = Unstaking or {}
UnstakeDelay = UnstakeDelay or 670

local function quantity_of(msg, action)
  local q = msg.Quantity
  if type(q) ~= "string" or not q:match("^%d+$") or not bint.__lt(0, bint(q)) then
    error(action .. ": the Quantity tag must be a positive whole number of units as a string, got "
      .. (q == nil and "nothing" or string.format("%q", tostring(q))), 0)
  end
  return bint(q)
end

local function height_of(msg)
  local h = tonumber(msg["Block-Height"])
  if h == nil then
    error("staking: the message has no numeric Block-Height (got " .. tostring(msg["Block-Height"]) .. ")", 0)
  end
  return h
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

Handlers.add("staking.stake", Handlers.utils.continue({ Action = "Stake" }), function(msg)
  local qty = quantity_of(msg, "Stake")
  local bal = bint(Balances[msg.From] or "0")
  if qty > bal then
    error("Stake: insufficient balance (have " .. tostring(bal) .. ", asked to stake " .. msg.Quantity .. ")", 0)
  end
  Balances[msg.From] = tostring(bal - qty)
  local staker = Stakers[msg.From] or { amount = "0" }
  staker.amount = tostring(bint(staker.amount) + qty)
  Stakers[msg.From] = staker
  msg.reply({ Data = "Successfully Staked " .. msg.Quantity })
end)

Handlers.add("staking.unstake", Handlers.utils.continue({ Action = "Unstake" }), function(msg)
  local qty = quantity_of(msg, "Unstake")
  local staker = Stakers[msg.From]
  local staked = bint(staker and staker.amount or "0")
  if qty > staked then
    error("Unstake: insufficient staked amount (have " .. tostring(staked) .. ", asked for " .. msg.Quantity .. ")", 0)
  end
  local left = staked - qty
  Stakers[msg.From] = not bint.iszero(left) and { amount = tostring(left) } or nil
  local pending = Unstaking[msg.From] or { amount = "0", release_at = 0 }
  pending.amount = tostring(bint(pending.amount) + qty)
  pending.release_at = height_of(msg) + UnstakeDelay
  Unstaking[msg.From] = pending
  msg.reply({ Data = "Successfully unstaked " .. msg.Quantity })
end)

Handlers.add("staking.stakers", Handlers.utils.continue({ Action = "Stakers" }), function(msg)
  msg.reply({ Data = json.encode(Stakers) })
end)

-- Releases matured unstakes; always continues so the message reaches the other handlers.
Handlers.prepend("staking.finalize", function() return "continue" end, function(msg)
  local height = tonumber(msg["Block-Height"])
  if height == nil then return end
  for _, account in ipairs(sorted_keys(Unstaking)) do
    local pending = Unstaking[account]
    if height >= pending.release_at then
      Balances[account] = tostring(bint(Balances[account] or "0") + bint(pending.amount))
      Unstaking[account] = nil
    end
  end
end)
