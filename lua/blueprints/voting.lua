--[[ voting: stake-weighted yay/nay votes with a deadline (needs the staking blueprint).

Load with `.load-blueprint voting` after `staking`. State (global): Votes (target ->
{ yay = "<units>", nay = "<units>", deadline = <block height>, voters = { [id] = side } }).

Actions (Action tag):
  Vote   tags Target (what is voted on), Side (yay or nay), Deadline (blocks from this
         message's Block-Height; used when the first vote on Target opens it). The voter's
         whole stake counts; one vote per voter and target. Replies "Voted <side> for <target>".
A handler at the front of the list runs on every message: each vote whose deadline has
been reached (by Block-Height) is settled, printing "Handle Vote: <target> passed" (more
yay than nay) or "Handle Vote: <target> rejected", and removed.
]]

local bint = require(".bint")(256)

Stakers = Stakers or {}
Votes = Votes or {}

local sides = { yay = true, nay = true }

Handlers.add("voting.vote", Handlers.utils.continue({ Action = "Vote" }), function(msg)
  local target = msg.Tags.Target
  if type(target) ~= "string" or target == "" then
    error("Vote: the Target tag is required (what the vote is about)", 0)
  end
  local side = msg.Tags.Side
  if not sides[side] then
    error("Vote: the Side tag must be yay or nay, got " .. tostring(side), 0)
  end
  local staker = Stakers[msg.From]
  local weight = bint(staker and staker.amount or "0")
  if bint.iszero(weight) then
    error("Vote: " .. msg.From .. " has no staked tokens to vote with", 0)
  end
  local vote = Votes[target]
  if not vote then
    local height, blocks = tonumber(msg["Block-Height"]), tonumber(msg.Tags.Deadline)
    if height == nil or blocks == nil then
      error("Vote: a new vote needs a numeric Deadline tag (in blocks) and Block-Height, got "
        .. tostring(msg.Tags.Deadline) .. " and " .. tostring(msg["Block-Height"]), 0)
    end
    vote = { yay = "0", nay = "0", deadline = height + blocks, voters = {} }
    Votes[target] = vote
  end
  if vote.voters[msg.From] then
    error("Vote: " .. msg.From .. " already voted " .. vote.voters[msg.From] .. " on " .. target, 0)
  end
  vote.voters[msg.From] = side
  vote[side] = tostring(bint(vote[side]) + weight)
  msg.reply({ Data = "Voted " .. side .. " for " .. target })
end)

-- Settles votes past their deadline; always continues.
Handlers.prepend("voting.finalize", function() return "continue" end, function(msg)
  local height = tonumber(msg["Block-Height"])
  if height == nil then return end
  local targets = {}
  for target in pairs(Votes) do targets[#targets + 1] = target end
  table.sort(targets)
  for _, target in ipairs(targets) do
    local vote = Votes[target]
    if height >= vote.deadline then
      local passed = bint(vote.yay) > bint(vote.nay)
      print("Handle Vote: " .. target .. (passed and " passed" or " rejected")
        .. " (yay " .. vote.yay .. ", nay " .. vote.nay .. ")")
      Votes[target] = nil
    end
  end
end)
