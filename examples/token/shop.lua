--[[ shop.lua: a process that sells for tokens, the second process of the example.

Its spawn tags say which token it is paid in (Token, a process id) and the price (Price,
whole units of that token).

  Buy         from a buyer: the shop waits, with Receive, for the buyer's payment (a
              Credit-Notice from Token whose Sender is the buyer), then sends the buyer
              Delivered, or Refund-Error when the payment was short.
  Cron        every tick (the spawn's Cron-Interval): the shop pays what it earned since
              the last tick to its owner with a Transfer, and waits for the Debit-Notice.
]]

Token = Token or ao.env.Process.Tags.Token
Price = Price or math.tointeger(tonumber(ao.env.Process.Tags.Price)) or 1
Earned = Earned or 0
Sales = Sales or 0

Handlers.add("Buy", "Buy", function(msg)
  local buyer = msg.From
  local payment = Receive({ From = Token, Action = "Credit-Notice", Sender = buyer })
  local paid = math.tointeger(tonumber(payment.Quantity)) or 0
  if paid < Price then
    Send({ Target = buyer, Action = "Refund-Error", Paid = tostring(paid),
      Price = tostring(Price) })
    return
  end
  Earned = Earned + paid
  Sales = Sales + 1
  Send({ Target = buyer, Action = "Delivered", Quantity = tostring(paid) })
end)

Handlers.add("Cron", "Cron", function()
  if Earned == 0 then return end
  local amount = Earned
  Earned = 0
  Send({ Target = Token, Action = "Transfer", Recipient = Owner, Quantity = tostring(amount) })
  Receive({ From = Token, Action = "Debit-Notice" })
  print("paid " .. amount .. " to the owner")
end)
