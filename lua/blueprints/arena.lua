--[[ arena: the game-arena framework of aos's arena blueprint (the ao-effect game loop).

Players Register, pay PaymentQty of PaymentToken (a Credit-Notice from that token), and
play once at least MinimumPlayers have paid: the game alternates a waiting period
(WaitTime) and a playing period (GameTime), driven by the time of every message. A game
blueprint built on this one sets PlayerInitState and onTick, and calls eliminatePlayer.

State (globals, kept when loaded again except Winners): GameMode ("Not-Started",
"Waiting", "Playing"), StateChangeTime, WaitTime, GameTime, Now, PaymentToken,
PaymentQty, BonusQty, Waiting (player -> paid?), Players, Listeners, MinimumPlayers.
Every event is announced to the Listeners (Action Announcement) and printed.

Actions: Register (Mode = "Listen" to only watch), Unregister, GetGameState, Tick,
RequestTokens; a Credit-Notice from PaymentToken; Reason = "AddBet" raises BonusQty.
]]

GameMode = GameMode or "Not-Started"
StateChangeTime = StateChangeTime or nil
WaitTime = WaitTime or 2 * 60 * 1000
GameTime = GameTime or 20 * 60 * 1000
Now = Now or nil
UNIT = 1000
PaymentToken = PaymentToken or "ADDR"
PaymentQty = PaymentQty or tostring(math.floor(UNIT))
BonusQty = BonusQty or tostring(math.floor(UNIT))
Waiting = Waiting or {}
Players = Players or {}
Winners = 0
Listeners = Listeners or {}
MinimumPlayers = MinimumPlayers or 2
PlayerInitState = PlayerInitState or function() return {} end

local gray, red, blue, green, reset = Colors.gray, Colors.red, Colors.blue, Colors.green,
  Colors.reset

function announce(event, description)
  for _, address in pairs(Listeners) do
    ao.send({ Target = address, Action = "Announcement", Event = event, Data = description })
  end
  return print(gray .. "Announcement: " .. red .. event .. " " .. blue .. description .. reset)
end

function sendReward(recipient, qty, reason)
  -- aos compares type(qty) with an undefined global, so it always converts: so do we.
  qty = tonumber(qty)
  ao.send({ Target = PaymentToken, Action = "Transfer", Quantity = tostring(qty),
    Recipient = recipient, Reason = reason })
  return print(gray .. "Sent Reward: " .. blue .. tostring(qty) .. gray .. " tokens to " ..
    green .. recipient .. " " .. blue .. reason .. reset)
end

function startWaitingPeriod()
  GameMode = "Waiting"
  StateChangeTime = Now + WaitTime
  announce("Started-Waiting-Period", "The game is about to begin! Send your token to take part.")
  print("Starting Waiting Period")
end

function removeListener(listener)
  for i, v in ipairs(Listeners) do
    if v == listener then
      table.remove(Listeners, i)
      return
    end
  end
end

function startGamePeriod()
  local paid = 0
  for _, hasPaid in pairs(Waiting) do
    if hasPaid then paid = paid + 1 end
  end
  if paid < MinimumPlayers then
    announce("Not-Enough-Players", "Not enough players registered! Restarting...")
    for player, hasPaid in pairs(Waiting) do
      if hasPaid then
        Waiting[player] = false
        sendReward(player, PaymentQty, "Refund")
      end
    end
    startWaitingPeriod()
    return
  end
  LastTick = nil
  GameMode = "Playing"
  StateChangeTime = Now + GameTime
  for player, hasPaid in pairs(Waiting) do
    if hasPaid then
      Players[player] = PlayerInitState()
    else
      ao.send({ Target = player, Action = "Ejected", Reason = "Did-Not-Pay" })
      removeListener(player)
    end
  end
  announce("Started-Game", "The game has started. Good luck!")
  print("Game Started....")
end

function endGame()
  print("Game Over")
  Winners = 0
  for _ in pairs(Players) do Winners = Winners + 1 end
  Winnings = tonumber(BonusQty) / Winners
  for player in pairs(Players) do
    sendReward(player, Winnings + tonumber(PaymentQty), "Win")
    Waiting[player] = false
  end
  Players = {}
  announce("Game-Ended", "Congratulations! The game has ended. Remaining players at conclusion: " ..
    Winners .. ".")
  startWaitingPeriod()
end

function eliminatePlayer(eliminated, eliminator)
  sendReward(eliminator, PaymentQty, "Eliminated-Player")
  Waiting[eliminated] = false
  Players[eliminated] = nil
  ao.send({ Target = eliminated, Action = "Eliminated", Eliminator = eliminator })
  announce("Player-Eliminated", eliminated .. " was eliminated by " .. eliminator .. "!")
  local left = 0
  for _ in pairs(Players) do left = left + 1 end
  print("Eliminating player: " .. eliminated .. " by: " .. eliminator)
  if left < MinimumPlayers then endGame() end
end

-- Every message moves the clock and, when a period is over, the game.
Handlers.add("Game-State-Timers", function() return "continue" end, function(msg)
  Now = msg.Timestamp
  if GameMode == "Not-Started" then
    startWaitingPeriod()
  elseif GameMode == "Waiting" then
    if Now > StateChangeTime then startGamePeriod() end
  elseif GameMode == "Playing" then
    if onTick and type(onTick) == "function" then onTick() end
    if Now > StateChangeTime then endGame() end
  end
end)

Handlers.add("Transfer",
  function(msg)
    return msg.Action == "Credit-Notice" and msg.From == PaymentToken and
      tonumber(msg.Quantity) >= tonumber(PaymentQty) and "continue"
  end,
  function(msg)
    Waiting[msg.Sender] = true
    ao.send({ Target = msg.Sender, Action = "Payment-Received" })
    announce("Player-Ready", msg.Sender .. " is ready to play!")
  end)

local action = Handlers.utils.hasMatchingTag

Handlers.add("Register", action("Action", "Register"), function(msg)
  if msg.Mode ~= "Listen" and Waiting[msg.From] == nil then Waiting[msg.From] = false end
  removeListener(msg.From)
  table.insert(Listeners, msg.From)
  ao.send({ Target = msg.From, Action = "Registered" })
  announce("New Player Registered", msg.From .. " has joined in waiting.")
end)

Handlers.add("Unregister", action("Action", "Unregister"), function(msg)
  removeListener(msg.From)
  ao.send({ Target = msg.From, Action = "Unregistered" })
end)

Handlers.add("AddBet", action("Reason", "AddBet"), function(msg)
  BonusQty = tonumber(BonusQty) + tonumber(msg.Tags.Quantity)
  announce("Bet-Added", msg.From .. "has placed a bet. " .. "BonusQty amount increased by " ..
    msg.Tags.Quantity .. "!")
end)

Handlers.add("GetGameState", action("Action", "GetGameState"), function(msg)
  local state = require("json").encode({
    GameMode = GameMode, TimeRemaining = StateChangeTime - Now, Players = Players })
  ao.send({ Target = msg.From, Action = "GameState", Data = state })
end)

Handlers.add("AnnounceTick", action("Action", "Tick"), function()
  local seconds = (StateChangeTime - Now) / 1000
  if GameMode == "Waiting" then
    announce("Tick", "The game will start in " .. seconds .. " seconds.")
  elseif GameMode == "Playing" then
    announce("Tick", "The game will end in " .. seconds .. " seconds.")
  end
end)

Handlers.add("RequestTokens", action("Action", "RequestTokens"), function(msg)
  print("Transfering Tokens: " .. tostring(math.floor(10000 * UNIT)))
  ao.send({ Target = ao.id, Action = "Transfer", Quantity = tostring(math.floor(10000 * UNIT)),
    Recipient = msg.From })
end)
