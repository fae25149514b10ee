"""`.inbox [N]`: read the latest Inbox entries with a dry-run, so reading costs no slot.

The Lua below runs inside the process and returns one string: the Inbox size, then one record
per message (from, action, sorted tags, data preview, nonce: what `.replay` takes), with ASCII
separators that it removes from the values first. It needs nothing from the process but the
`Inbox` global.
"""

from __future__ import annotations

from aos.client import AoClient
from aos.errors import AosError
from aos.render import InboxEntry

RS, US, GS = "\x1e", "\x1f", "\x1d"

_LUA = r"""
local n = %d
local total = type(Inbox) == "table" and #Inbox or 0
local function s(v)
  if type(v) == "string" then return v end
  if v == nil then return "" end
  if type(v) == "table" then
    local ok, j = pcall(function() return require("json").encode(v) end)
    if ok then return j end
  end
  return tostring(v)
end
local function clean(v) return (s(v):gsub("[\29\30\31]", " ")) end
local out = {}
for i = math.max(1, total - n + 1), total do
  local m = Inbox[i]
  local tags = {}
  if type(m.Tags) == "table" then
    for k, v in pairs(m.Tags) do
      if type(k) == "string" then
        tags[#tags + 1] = clean(k) .. "=" .. clean(v)
      elseif type(v) == "table" and v.name then
        tags[#tags + 1] = clean(v.name) .. "=" .. clean(v.value)
      end
    end
  end
  table.sort(tags)
  local data = clean(m.Data)
  out[#out + 1] = table.concat({clean(m.From), clean(m.Action), table.concat(tags, "\29"),
    data:sub(1, 300), clean(m.Nonce)}, "\31")
end
return "INBOX" .. tostring(total) .. "\30" .. table.concat(out, "\30")
"""


def inbox_code(count: int) -> str:
    return _LUA % max(1, count)


def parse_inbox(text: str) -> tuple[int, list[InboxEntry]]:
    """(Inbox size, latest entries oldest first) from what `inbox_code` returned."""
    if not text.startswith("INBOX"):
        raise AosError(f"the process answered .inbox with unexpected text: {text[:80]!r}")
    head, _, rest = text[5:].partition(RS)
    entries = []
    for record in rest.split(RS) if rest else []:
        fields = (record.split(US) + ["", "", "", "", ""])[:5]
        tags = {}
        for pair in fields[2].split(GS) if fields[2] else []:
            key, _, value = pair.partition("=")
            tags[key] = value
        nonce = int(fields[4]) if fields[4].isdigit() else None
        entries.append(InboxEntry(fields[0], fields[1], tags, fields[3], nonce))
    return int(head or 0), entries


def read_inbox(client: AoClient, process: str, count: int) -> tuple[int, list[InboxEntry]]:
    result = client.dry_eval(process, inbox_code(count))
    if result.error is not None:
        raise AosError(f"the process could not list its Inbox: {result.error}")
    return parse_inbox(result.data)
