-- An allocation-heavy Lua program for the prog_lua workload: tables of
-- records sorted and dropped, strings built, formatted and cut, and
-- closures that capture upvalues, in three rounds with a full collection
-- after each. Deterministic: prints a checksum that must match under every
-- allocator. Usage: lua5.4 alloc_heavy.lua N
local n = tonumber(arg[1]) or 30000
local check = 0
local function mix(v) check = (check * 31 + v) % 2147483647 end

for round = 1, 3 do
  -- tables: records with nested arrays, sorted by key, then dropped
  local recs = {}
  for i = 1, n do
    recs[i] = {id = i, key = string.format("k%06d", (i * 7919) % n), tags = {i % 7, i % 13, round}}
  end
  table.sort(recs, function(a, b)
    if a.key ~= b.key then return a.key < b.key end
    return a.id < b.id
  end)
  mix(recs[1].id + recs[n].id + #recs[n // 2].tags)

  -- strings: repeated, upper-cased, gsub'd, and a buffer folded by concat
  local parts = {}
  for i = 1, n do
    local s = string.rep(string.format("%x", i * 2654435761 % 4294967296), 1 + i % 4):upper()
    parts[#parts + 1] = s:gsub("[A-F]+", "-")
    if #parts > 256 then parts = {table.concat(parts):sub(1, 64)} end
  end
  mix(#table.concat(parts))

  -- closures: counters that capture upvalues, replaced as they go
  local fs = {}
  for i = 1, n do
    local c = i
    fs[i % 1024 + 1] = function(d) c = c + d; return c end
  end
  local s = 0
  for i = 1, #fs do s = s + fs[i](i) end
  mix(s % 1000003)

  recs, parts, fs = nil, nil, nil
  collectgarbage()
end
print("records", n, "checksum", check)
