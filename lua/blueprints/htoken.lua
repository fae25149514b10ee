--[[ htoken: the hyper-aos test token ("Hyper Test Coin", HYPER, Variant 0.0.4) on this aos.

aos's htoken blueprint is written for hyper-aos (its `id` and `send` globals, lower-case
message fields) and does not load on aos 2.x; this one runs the same token on aos 2.x:
the same state and defaults, actions matched without regard to case (info, balance,
balances, transfer, mint, totalSupply), the same answers and errors, and `balance` prints
"balance called" and the sender as htoken does. Amounts are decimal strings (bint).
]]

local bint = require(".bint")(256)
local json = require("json")

local function add(a, b) return tostring(bint(a) + bint(b)) end
local function subtract(a, b) return tostring(bint(a) - bint(b)) end

Variant = "0.0.4"
Denomination = Denomination or 12
Balances = Balances or { [ao.id] = tostring(bint(10000 * 10 ^ Denomination)) }
TotalSupply = TotalSupply or tostring(bint(10000 * 10 ^ Denomination))
Name = Name or "Hyper Test Coin"
Ticker = Ticker or "HYPER"
Logo = Logo or "eskTHZQzCLOFrpzkr7zeaf4RxmkaNVYvHuPLh4CLpX4"

local gray, blue, green, reset = Colors.gray, Colors.blue, Colors.green, Colors.reset

-- Table patterns compare strings without regard to case: Info, info and INFO all match.
local function action(name) return { Action = name } end

Handlers.add("info", action("info"), function(msg)
  ao.send({ Target = msg.From, Name = Name, Ticker = Ticker, Logo = Logo,
    Denomination = tostring(Denomination) })
end)

Handlers.add("balance", action("balance"), function(msg)
  print("balance called")
  print("from " .. msg.From)
  local balance = "0"
  if msg.Recipient then
    balance = Balances[msg.Recipient] or "0"
  elseif msg.Tags.Target and Balances[msg.Tags.Target] then
    balance = Balances[msg.Tags.Target]
  elseif Balances[msg.From] then
    balance = Balances[msg.From]
  end
  ao.send({ Target = msg.From, Balance = balance, Ticker = Ticker,
    Account = msg.Recipient or msg.From, Data = balance })
end)

Handlers.add("balances", action("balances"), function(msg)
  ao.send({ Target = msg.From, Data = json.encode(Balances) })
end)

Handlers.add("transfer", action("transfer"), function(msg)
  assert(type(msg.Recipient) == "string", "Recipient is required!")
  assert(type(msg.Quantity) == "string", "Quantity is required!")
  assert(bint.__lt(0, bint(msg.Quantity)), "Quantity must be greater than 0")
  local from, to, qty = msg.From, msg.Recipient, msg.Quantity
  Balances[from] = Balances[from] or "0"
  Balances[to] = Balances[to] or "0"
  if bint(qty) > bint(Balances[from]) then
    ao.send({ Target = from, Action = "Transfer-Error", ["Message-Id"] = msg.Id,
      Error = "Insufficient Balance!" })
    return
  end
  Balances[from] = subtract(Balances[from], qty)
  Balances[to] = add(Balances[to], qty)
  if msg.Cast then return end
  local debit = { Target = from, Action = "Debit-Notice", Recipient = to, Quantity = qty,
    Data = gray .. "You transferred " .. blue .. qty .. gray .. " to " .. green .. to .. reset }
  local credit = { Target = to, Action = "Credit-Notice", Sender = from, Quantity = qty,
    Data = gray .. "You received " .. blue .. qty .. gray .. " from " .. green .. from .. reset }
  for name, value in pairs(msg) do
    if string.sub(name, 1, 2) == "X-" then debit[name], credit[name] = value, value end
  end
  ao.send(debit)
  ao.send(credit)
end)

Handlers.add("mint", action("mint"), function(msg)
  assert(type(msg.Quantity) == "string", "Quantity is required!")
  assert(bint(0) < bint(msg.Quantity), "Quantity must be greater than zero!")
  Balances[ao.id] = Balances[ao.id] or "0"
  if msg.From ~= ao.id then
    ao.send({ Target = msg.From, Action = "Mint-Error", ["Message-Id"] = msg.Id,
      Error = "Only the Process Id can mint new " .. Ticker .. " tokens!" })
    return
  end
  Balances[msg.From] = add(Balances[msg.From], msg.Quantity)
  TotalSupply = add(TotalSupply, msg.Quantity)
  ao.send({ Target = msg.From,
    Data = gray .. "Successfully minted " .. blue .. msg.Quantity .. reset })
end)

Handlers.add("totalSupply", action("totalSupply"), function(msg)
  assert(msg.From ~= ao.id, "Cannot call Total-Supply from the same process!")
  ao.send({ Target = msg.From, Action = "Total-Supply", Data = TotalSupply, Ticker = Ticker })
end)
