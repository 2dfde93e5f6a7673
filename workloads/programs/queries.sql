-- The prog_sqlite workload's script: inserts, an index, updates, deletes and
-- queries on an in-memory database, with @rows rows (set by the workload
-- with `.parameter set @rows N`). Deterministic output.
CREATE TABLE item(id INTEGER PRIMARY KEY, name TEXT, grp INTEGER, price REAL, note TEXT);
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < @rows)
INSERT INTO item(id, name, grp, price, note)
SELECT i, printf('item-%08d', (i * 7919) % @rows), i % 97, (i * 37 % 1000) / 10.0,
       substr(hex(i * 2654435761), 1, 1 + i % 24)
FROM n;
CREATE INDEX item_grp ON item(grp, price);
CREATE INDEX item_name ON item(name);
UPDATE item SET price = price * 1.1, note = note || '-u' WHERE grp % 3 = 0;
DELETE FROM item WHERE id % 11 = 0;
INSERT INTO item(name, grp, price, note)
SELECT name || '-copy', grp, price / 2, upper(note) FROM item WHERE id % 5 = 0;
SELECT count(*), round(sum(price), 2), max(length(note)) FROM item;
SELECT grp, count(*), round(avg(price), 3) FROM item GROUP BY grp ORDER BY grp LIMIT 10;
SELECT name FROM item WHERE name LIKE 'item-0000%' ORDER BY name LIMIT 5;
SELECT a.grp, count(*) FROM item a JOIN item b ON a.name = b.name || '' AND a.id <> b.id
GROUP BY a.grp ORDER BY a.grp LIMIT 5;
SELECT group_concat(note, ',') IS NOT NULL, length(group_concat(note, ',')) FROM (SELECT note FROM item ORDER BY id LIMIT 1000);
