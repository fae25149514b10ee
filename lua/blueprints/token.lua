--[[ token: the ao Standard Token, as aos's token blueprint (Variant 0.0.3) implements it.

State (globals, kept when loaded again): Denomination (12), Balances (the process starts
with 10000 whole tokens), TotalSupply, Name ("Points Coin"), Ticker ("PNTS"), Logo.
Amounts are decimal strings of the smallest unit, computed with bint (256 bits).

Actions (Action tag); every answer is a reply to the sender:
  Info          Name, Ticker, Logo, Denomination
  Balance       Balance/Account/Ticker tags and Data = the balance of the Recipient tag,
                else of the Target tag (when it has one), else of the sender
  Balances      Data = JSON of Balances
  Transfer      Recipient, Quantity: moves units; the sender gets a Debit-Notice, the
                recipient a Credit-Notice (none with a Cast tag); X-* tags are forwarded;
                Transfer-Error "Insufficient Balance!" when the sender has too little
  Mint          Quantity: only the process itself may mint (else Mint-Error)
  Total-Supply  Data = TotalSupply (not from the process itself)
  Burn          Quantity: removes units from the sender and from TotalSupply
Bad arguments fail the message with the assert texts aos uses ("Quantity is required!").
]]

local bint = require(".bint")(256)
local json = require("json")

local function add(a, b) return tostring(bint(a) + bint(b)) end
local function subtract(a, b) return tostring(bint(a) - bint(b)) end

Variant = "0.0.3"
Denomination = Denomination or 12
Balances = Balances or { [ao.id] = tostring(bint(10000 * 10 ^ Denomination)) }
TotalSupply = TotalSupply or tostring(bint(10000 * 10 ^ Denomination))
Name = Name or "Points Coin"
Ticker = Ticker or "PNTS"
Logo = Logo or "SBCCXwwecBlDqRLUjb8dYABExTJXLieawf7m2aBJ-KY"

local gray, blue, green, reset = Colors.gray, Colors.blue, Colors.green, Colors.reset

-- Answer the sender: a reply when the message can be replied to, else a plain Send.
local function answer(msg, fields)
  if msg.reply then return msg.reply(fields) end
  fields.Target = msg.From
  return Send(fields)
end

local function action(name) return Handlers.utils.hasMatchingTag("Action", name) end

Handlers.add("info", action("Info"), function(msg)
  answer(msg, { Name = Name, Ticker = Ticker, Logo = Logo,
    Denomination = tostring(Denomination) })
end)

Handlers.add("balance", action("Balance"), function(msg)
  local tags, balance = msg.Tags, "0"
  if tags.Recipient then
    balance = Balances[tags.Recipient] or "0"
  elseif tags.Target and Balances[tags.Target] then
    balance = Balances[tags.Target]
  elseif Balances[msg.From] then
    balance = Balances[msg.From]
  end
  answer(msg, { Balance = balance, Ticker = Ticker, Account = tags.Recipient or msg.From,
    Data = balance })
end)

Handlers.add("balances", action("Balances"), function(msg)
  answer(msg, { Data = json.encode(Balances) })
end)

Handlers.add("transfer", action("Transfer"), function(msg)
  assert(type(msg.Recipient) == "string", "Recipient is required!")
  assert(type(msg.Quantity) == "string", "Quantity is required!")
  assert(bint.__lt(0, bint(msg.Quantity)), "Quantity must be greater than 0")
  local from, to, qty = msg.From, msg.Recipient, msg.Quantity
  Balances[from] = Balances[from] or "0"
  Balances[to] = Balances[to] or "0"
  if bint(qty) > bint(Balances[from]) then
    answer(msg, { Action = "Transfer-Error", ["Message-Id"] = msg.Id,
      Error = "Insufficient Balance!" })
    return
  end
  Balances[from] = subtract(Balances[from], qty)
  Balances[to] = add(Balances[to], qty)
  if msg.Cast then return end -- a cast transfer sends no notices
  local debit = { Action = "Debit-Notice", Recipient = to, Quantity = qty,
    Data = gray .. "You transferred " .. blue .. qty .. gray .. " to " .. green .. to .. reset }
  local credit = { Target = to, Action = "Credit-Notice", Sender = from, Quantity = qty,
    Data = gray .. "You received " .. blue .. qty .. gray .. " from " .. green .. from .. reset }
  for name, value in pairs(msg) do
    if string.sub(name, 1, 2) == "X-" then debit[name], credit[name] = value, value end
  end
  answer(msg, debit)
  Send(credit)
end)

Handlers.add("mint", action("Mint"), function(msg)
  assert(type(msg.Quantity) == "string", "Quantity is required!")
  assert(bint(0) < bint(msg.Quantity), "Quantity must be greater than zero!")
  Balances[ao.id] = Balances[ao.id] or "0"
  if msg.From ~= ao.id then
    answer(msg, { Action = "Mint-Error", ["Message-Id"] = msg.Id,
      Error = "Only the Process Id can mint new " .. Ticker .. " tokens!" })
    return
  end
  Balances[msg.From] = add(Balances[msg.From], msg.Quantity)
  TotalSupply = add(TotalSupply, msg.Quantity)
  answer(msg, { Data = gray .. "Successfully minted " .. blue .. msg.Quantity .. reset })
end)

Handlers.add("totalSupply", action("Total-Supply"), function(msg)
  assert(msg.From ~= ao.id, "Cannot call Total-Supply from the same process!")
  answer(msg, { Action = "Total-Supply", Data = TotalSupply, Ticker = Ticker })
end)

Handlers.add("burn", action("Burn"), function(msg)
  local qty = msg.Tags.Quantity
  assert(type(qty) == "string", "Quantity is required!")
  assert(bint(qty) <= bint(Balances[msg.From]),
    "Quantity must be less than or equal to the current balance!")
  Balances[msg.From] = subtract(Balances[msg.From], qty)
  TotalSupply = subtract(TotalSupply, qty)
  answer(msg, { Data = gray .. "Successfully burned " .. blue .. qty .. reset })
end)
