--[[ token.lua: a small fungible token, the example process of `aos test`.

State (globals, so loading the file again keeps them): Balances (address -> whole units),
TotalSupply, TokenName, Ticker, Denomination (`Name` is the process's own name). Amounts travel as decimal text, as in every ao
token; inside they are Lua integers.

Actions (the Action tag); every answer is a reply to the sender:
  Info       Name, Ticker, Denomination
  Balance    Balance, Account, Ticker; Data = the balance of Recipient, else of the sender
  Balances   Data = the JSON of Balances
  Transfer   Recipient, Quantity: the sender gets a Debit-Notice, the recipient a
             Credit-Notice (Sender, Quantity); Transfer-Error when the sender has too little
  Mint       Quantity [, Recipient]: new units for Recipient (default the owner); only the
             owner may mint (else Mint-Error)
]]

TokenName = TokenName or "Example Token"
Ticker = Ticker or "EXT"
Denomination = Denomination or 0
Balances = Balances or {}
TotalSupply = TotalSupply or 0

-- A positive whole number from a tag, or an error that names the tag.
local function quantity(msg)
  local q = math.tointeger(tonumber(msg.Quantity))
  if q == nil or q <= 0 then
    error("Quantity must be a whole number above 0, got " .. tostring(msg.Quantity))
  end
  return q
end

local function balance_of(account)
  return Balances[account] or 0
end

-- Move q units; false (and nothing changes) when `from` has fewer.
local function move(from, to, q)
  if balance_of(from) < q then return false end
  Balances[from] = balance_of(from) - q
  Balances[to] = balance_of(to) + q
  return true
end

Handlers.add("Info", "Info", function(msg)
  msg.reply({ Name = TokenName, Ticker = Ticker, Denomination = tostring(Denomination) })
end)

Handlers.add("Balance", "Balance", function(msg)
  local account = msg.Tags.Recipient or msg.From
  local balance = tostring(balance_of(account))
  msg.reply({ Balance = balance, Account = account, Ticker = Ticker, Data = balance })
end)

Handlers.add("Balances", "Balances", function(msg)
  msg.reply({ Data = json.encode(Balances) })
end)

Handlers.add("Transfer", "Transfer", function(msg)
  assert(type(msg.Recipient) == "string", "Recipient is required")
  local q = quantity(msg)
  if not move(msg.From, msg.Recipient, q) then
    msg.reply({ Action = "Transfer-Error", Error = "Insufficient balance",
      Quantity = tostring(q) })
    return
  end
  Send({ Target = msg.From, Action = "Debit-Notice", Recipient = msg.Recipient,
    Quantity = tostring(q) })
  Send({ Target = msg.Recipient, Action = "Credit-Notice", Sender = msg.From,
    Quantity = tostring(q) })
end)

Handlers.add("Mint", "Mint", function(msg)
  if msg.From ~= Owner then
    msg.reply({ Action = "Mint-Error", Error = "Only the owner may mint" })
    return
  end
  local q = quantity(msg)
  local to = msg.Recipient or Owner
  Balances[to] = balance_of(to) + q
  TotalSupply = TotalSupply + q
  msg.reply({ Action = "Minted", Recipient = to, Quantity = tostring(q) })
end)
