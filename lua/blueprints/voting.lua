--[[ voting: stake-weighted yay/nay votes with a deadline (aos's voting blueprint).

Load after `staking`: a vote weighs the voter's staked amount (Stakers). State: Votes
(target -> { yay, nay, deadline }), Balances.

Actions (Action tag):
  Vote  tags Target, Side (yay or nay), Deadline (blocks from this message); the handler
        lets later handlers see the message too
A handler runs on every message: each vote whose deadline has been reached is settled
(printing "Handle Vote" when yay won) and removed.
]]

Balances = Balances or {}
Votes = Votes or {}

function Handlers.vote(msg)
  local quantity = Stakers[msg.From].amount
  local target, side = msg.Tags.Target, msg.Tags.Side
  local deadline = tonumber(msg["Block-Height"]) + tonumber(msg.Tags.Deadline)
  assert(quantity > 0, "No staked tokens to vote")
  Votes[target] = Votes[target] or { yay = 0, nay = 0, deadline = deadline }
  Votes[target][side] = Votes[target][side] + quantity
end

local function settle(msg)
  local height = tonumber(msg["Block-Height"])
  for target, vote in pairs(Votes) do
    if height >= vote.deadline then
      if vote.yay > vote.nay then print("Handle Vote") end
      Votes[target] = nil
    end
  end
end

-- A pattern that matches as "continue" (1) where the given one would break.
local function continuing(pattern)
  return function(msg)
    local result = pattern(msg)
    if result == -1 then return 1 end
    return result
  end
end

Handlers.add("vote", continuing(Handlers.utils.hasMatchingTag("Action", "Vote")), Handlers.vote)
Handlers.add("finalize", function() return "continue" end, settle)
