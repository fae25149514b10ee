--[[ staking: lock token balances for a while (aos's staking blueprint, Variant 0.0.4).

Load after `token`, whose Balances it spends from. State (globals, kept when loaded
again): Stakers (account -> { amount, unstake_at }), Unstaking (account -> { amount,
release_at }), UnstakeDelay (670 blocks).

Actions (Action tag); Stake and Unstake let later handlers see the message too:
  Stake     Quantity: moves units from Balances to Stakers; unstakable UnstakeDelay blocks
            after this message; reply "Successfully Staked N" (and printed)
  Unstake   Quantity: queues staked units, released at the stake's unstake height;
            reply "Successfully unstaked N"
  Stakers   reply Data = JSON of Stakers
A handler at the front of the list runs on every message and pays every released unstake
back into Balances.
]]

Variant = "0.0.4"
Stakers = Stakers or {}
Unstaking = Unstaking or {}
UnstakeDelay = UnstakeDelay or 670

local bint = require(".bint")(256)

local function add(a, b) return tostring(bint(a) + bint(b)) end
local function subtract(a, b) return tostring(bint(a) - bint(b)) end

local function answer(msg, data)
  if msg.reply then
    msg.reply({ Data = data })
  else
    Send({ Target = msg.From, Data = data })
  end
end

function Handlers.stake(msg)
  local qty = msg.Tags.Quantity
  local height = tonumber(msg["Block-Height"])
  assert(Balances[msg.From] and bint(Balances[msg.From]) >= bint(qty),
    "Insufficient balance to stake")
  Balances[msg.From] = subtract(Balances[msg.From], qty)
  local staker = Stakers[msg.From] or { amount = "0" }
  Stakers[msg.From] = staker
  staker.amount = add(staker.amount, qty)
  staker.unstake_at = height + UnstakeDelay
  print("Successfully Staked " .. qty)
  answer(msg, "Successfully Staked " .. qty)
end

function Handlers.unstake(msg)
  local staker, qty = Stakers[msg.From], msg.Tags.Quantity
  assert(staker and bint(staker.amount) >= bint(qty), "Insufficient staked amount")
  staker.amount = subtract(staker.amount, qty)
  Unstaking[msg.From] = { amount = qty, release_at = staker.unstake_at }
  answer(msg, "Successfully unstaked " .. qty)
end

local function release(msg)
  local height = tonumber(msg["Block-Height"])
  for account, pending in pairs(Unstaking) do
    if pending.release_at == nil or height >= pending.release_at then
      Balances[account] = add(Balances[account] or "0", pending.amount)
      Unstaking[account] = nil
    end
  end
end

-- A pattern that matches as "continue" where the given one would break.
local function continuing(pattern)
  return function(msg)
    local result = pattern(msg)
    if result == -1 then return "continue" end
    return result
  end
end

local action = Handlers.utils.hasMatchingTag

Handlers.add("staking.balances", action("Action", "Stakers"), function(msg)
  answer(msg, require("json").encode(Stakers))
end)
Handlers.add("staking.stake", continuing(action("Action", "Stake")), Handlers.stake)
Handlers.add("staking.unstake", continuing(action("Action", "Unstake")), Handlers.unstake)
Handlers.prepend("staking.finalize", function() return "continue" end, release)
