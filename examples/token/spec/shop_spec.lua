-- Two processes: the token, and a shop that waits for its payment with Receive and pays its
-- owner from a cron handler.

describe("shop", function()
  local token, shop

  before_each(function()
    token = ao_test.spawn{ files = { "token.lua" }, owner = "owner" }
    token:send{ From = "owner", Action = "Mint", Recipient = "alice", Quantity = "100" }
    shop = ao_test.spawn{ files = { "shop.lua" }, owner = "merchant", tags = {
      { name = "Token", value = token.id },
      { name = "Price", value = "5" },
      { name = "Cron-Interval", value = "1-hour" },
      { name = "Cron-Tag-Action", value = "Cron" },
    } }
  end)

  -- alice orders, then pays the shop through the token.
  local function buy(quantity)
    shop:send{ From = "alice", Action = "Buy" }
    token:send{ From = "alice", Action = "Transfer", Recipient = shop, Quantity = quantity }
    ao_test.deliver()
  end

  it("delivers once the Credit-Notice of the payment arrives", function()
    shop:send{ From = "alice", Action = "Buy" }
    assert.not_sent{ Action = "Delivered" }
    token:send{ From = "alice", Action = "Transfer", Recipient = shop, Quantity = "5" }
    assert.equal(1, ao_test.deliver())
    assert.sent{ From = shop, Target = "alice", Action = "Delivered", Quantity = "5" }
    assert.equal(1, shop:get("Sales"))
  end)

  it("refuses a payment below the price", function()
    buy("3")
    assert.sent{ From = shop, Target = "alice", Action = "Refund-Error", Paid = "3" }
    assert.equal(0, shop:get("Sales"))
  end)

  it("pays its earnings to its owner when the cron ticks", function()
    buy("5")
    local ticks = ao_test.advance("1-hour")
    assert.equal(1, #ticks)
    -- The Transfer to the token, then its Debit-Notice back to the shop.
    assert.equal(2, ao_test.deliver())
    assert.same({ alice = 95, merchant = 5, [shop.id] = 0 }, token:get("Balances"))
    assert.equal(0, shop:get("Earned"))
  end)

  it("sends nothing on a tick without sales", function()
    ao_test.advance("1-hour")
    assert.not_sent{ From = shop }
  end)
end)
