--[[ token: an ao Standard Token (Variant 0.0.3) for this process.

Load with `.load-blueprint token`. Loading again keeps the state (every global is
`X = X or default`) and replaces the handlers in place.

State (globals): Balances (account -> balance as a decimal string, 256-bit integers),
TotalSupply, Name (the process Name if set, else 'Points Coin'), Ticker, Logo, Denomination
(12), Variant. On first load 10000 whole tokens (10000 * 10^Denomination units) belong to
the process itself.

Actions (Action tag):
  Info          reply with tags name, ticker, logo, denomination, supply
  Balance       reply Balance, Ticker, Account, Data = balance of the Recipient tag, else
                the Target tag, else the sender
  Balances      reply Data = JSON object of all balances
  Transfer      Recipient, Quantity (> 0), optional Cast, X-* tags. Debit-Notice to the
                sender (by msg.reply) and Credit-Notice to the recipient, both carrying the
                X-* tags; without the funds: Transfer-Error, Message-Id, Error =
                "Insufficient Balance!". With Cast set no notices are sent.
  Mint          Quantity (> 0), credited to the sender; only the process itself or its
                Owner may mint (aos allows only the process); others get Mint-Error
  Total-Supply  reply Action = Total-Supply, Data = TotalSupply, Ticker
  Burn          Quantity (> 0) from the sender's balance; reply "Successfully burned N"
Bad input (missing Recipient, a Quantity that is not a positive whole number) ends the
message in an Error that says which tag is wrong; balances are unchanged.
]]

local bint = require(".bint")(256)
local json = require("json")

Variant = "0.0.3"
Denomination = Denomination or 12
Balances = Balances or { [ao.id] = tostring(bint(10000) * bint.ipow(10, Denomination)) }
TotalSupply = TotalSupply or tostring(bint(10000) * bint.ipow(10, Denomination))
Name = Name or "Points Coin" -- a process always has a Name, so the token inherits it
Ticker = Ticker or "PNTS"
Logo = Logo or "SBCCXwwecBlDqRLUjb8dYABExTJXLieawf7m2aBJ-KY"

-- A Quantity tag as a bint, or an error naming the action and the bad value.
local function quantity_of(msg, action)
  local q = msg.Quantity
  if type(q) ~= "string" or not q:match("^%d+$") then
    error(action .. ": the Quantity tag must be a whole number of units as a string, got "
      .. (q == nil and "nothing" or string.format("%q", tostring(q))), 0)
  end
  local n = bint(q)
  if not bint.__lt(0, n) then
    error(action .. ": the Quantity tag must be greater than 0, got " .. q, 0)
  end
  return n
end

local function balance_of(account)
  return bint(Balances[account] or "0")
end

-- The X-* tags of msg, so notices can carry a sender's own bookkeeping along. X-Reference
-- and X-Origin are left out: they are reply bookkeeping that msg.reply sets itself.
local function x_tags(msg)
  local names = {}
  for name, value in pairs(msg) do
    if type(name) == "string" and name:sub(1, 2) == "X-" and type(value) == "string"
        and name ~= "X-Reference" and name ~= "X-Origin" then
      names[#names + 1] = name
    end
  end
  table.sort(names)
  return names
end

Handlers.add("info", "Info", function(msg)
  msg.reply({
    name = Name,
    ticker = Ticker,
    logo = Logo,
    denomination = tostring(Denomination),
    supply = TotalSupply,
  })
end)

Handlers.add("balance", "Balance", function(msg)
  local account = msg.Tags.Recipient or msg.Tags.Target or msg.From
  local bal = tostring(balance_of(account))
  msg.reply({ Balance = bal, Ticker = Ticker, Account = account, Data = bal })
end)

Handlers.add("balances", "Balances", function(msg)
  msg.reply({ Data = json.encode(Balances) })
end)

Handlers.add("transfer", "Transfer", function(msg)
  if type(msg.Recipient) ~= "string" or msg.Recipient == "" then
    error("Transfer: the Recipient tag is required (the account to credit)", 0)
  end
  local qty = quantity_of(msg, "Transfer")
  local from_balance = balance_of(msg.From)
  if qty > from_balance then
    msg.reply({
      Action = "Transfer-Error",
      ["Message-Id"] = msg.Id,
      Error = "Insufficient Balance!",
    })
    return
  end
  Balances[msg.From] = tostring(from_balance - qty)
  Balances[msg.Recipient] = tostring(balance_of(msg.Recipient) + qty)
  if msg.Cast then return end

  local debit = {
    Action = "Debit-Notice",
    Recipient = msg.Recipient,
    Quantity = msg.Quantity,
    Data = Colors.gray .. "You transferred " .. Colors.blue .. msg.Quantity .. Colors.gray
      .. " to " .. Colors.green .. msg.Recipient .. Colors.reset,
  }
  local credit = {
    Target = msg.Recipient,
    Action = "Credit-Notice",
    Sender = msg.From,
    Quantity = msg.Quantity,
    Data = Colors.gray .. "You received " .. Colors.blue .. msg.Quantity .. Colors.gray
      .. " from " .. Colors.green .. msg.From .. Colors.reset,
  }
  for _, name in ipairs(x_tags(msg)) do
    debit[name] = msg[name]
    credit[name] = msg[name]
  end
  msg.reply(debit)
  ao.send(credit)
end)

Handlers.add("mint", "Mint", function(msg)
  local qty = quantity_of(msg, "Mint")
  if msg.From ~= ao.id and msg.From ~= Owner then
    msg.reply({
      Action = "Mint-Error",
      ["Message-Id"] = msg.Id,
      Error = "Only the Process Id can mint new " .. Ticker .. " tokens!",
    })
    return
  end
  Balances[msg.From] = tostring(balance_of(msg.From) + qty)
  TotalSupply = tostring(bint(TotalSupply) + qty)
  msg.reply({ Data = Colors.gray .. "Successfully minted " .. Colors.blue .. msg.Quantity .. Colors.reset })
end)

Handlers.add("totalSupply", "Total-Supply", function(msg)
  if msg.From == ao.id then
    error("Total-Supply: cannot be asked by the token process itself", 0)
  end
  msg.reply({ Action = "Total-Supply", Data = TotalSupply, Ticker = Ticker })
end)

Handlers.add("burn", "Burn", function(msg)
  local qty = quantity_of(msg, "Burn")
  local bal = balance_of(msg.From)
  if qty > bal then
    msg.reply({ Action = "Burn-Error", ["Message-Id"] = msg.Id, Error = "Insufficient Balance!" })
    return
  end
  Balances[msg.From] = tostring(bal - qty)
  TotalSupply = tostring(bint(TotalSupply) - qty)
  msg.reply({ Data = Colors.gray .. "Successfully burned " .. Colors.blue .. msg.Quantity .. Colors.reset })
end)
