-- partconf, version 3: the partition side of PlProxy.Client's routing, installed on every partition database.
-- Idempotent: running it again updates the functions and keeps the configuration and the id sequence.
--
--   partconf.conf             one row: the cluster, the partition numbers this database serves, the partition count,
--                             the mapping (mask or modular), the hash flavour (modern hashtext or PostgreSQL 8.3's),
--                             a db_code unique in the cluster, and the fence: the keys being moved away (those whose
--                             partition under fence_count is in fenced_nrs), until fenced_until
--   partconf.configure(...)   sets that row (bumps its version, lifts any fence)
--   partconf.fence(...)       fences keys being moved (plproxy split / move); partconf.unfence() lifts the fence
--   partconf.check_hash(h)    nothing when hash h belongs to this database, else SQLSTATE PX001; call it first
--   partconf.valid_hash()     row trigger (argument: the key column, optionally its hash function) doing the same
--   partconf.global_id()      ids unique across the cluster: nextval * 1024 + db_code
--
-- SQLSTATEs: PX001 the hash belongs to another database, or its keys are being moved (nothing was written: resend
-- with a fresh partition map); PX002 the key or its hash is NULL, so it belongs to no partition (resending cannot
-- help); PX000 partconf is not configured on this database; 22023 a fence's arguments describe no keys of this cluster.

create schema if not exists partconf;

create table if not exists partconf.conf (
    singleton boolean primary key default true check (singleton),
    cluster_name text not null,
    part_nrs int4[] not null,
    part_count int4 not null,
    mapping text not null default 'mask',
    hash_flavor text not null default 'modern',
    db_code int4 not null,
    fenced_nrs int4[] not null default '{}',
    version int8 not null default 1,
    fence_count int4,
    fenced_until timestamptz,
    constraint conf_part_nrs check (cardinality(part_nrs) > 0 and 0 <= all (part_nrs) and part_count > all (part_nrs)),
    constraint conf_part_count check (part_count > 0 and (mapping = 'modular' or (part_count & (part_count - 1)) = 0)),
    constraint conf_mapping check (mapping in ('mask', 'modular')),
    constraint conf_hash_flavor check (hash_flavor in ('modern', 'legacy83')),
    constraint conf_db_code check (db_code between 0 and 1023)
);

-- Version 2: a fence names partitions under a count of its own (a split fences half of a partition's keys: those that
-- map to p + n under 2n), and expires (a tool killed mid-switch does not hold the keys for ever).
alter table partconf.conf add column if not exists fence_count int4;
alter table partconf.conf add column if not exists fenced_until timestamptz;
alter table partconf.conf drop constraint if exists conf_fenced_nrs;

create sequence if not exists partconf.global_id_seq;

create or replace function partconf.script_version() returns int4 language sql immutable as $$ select 3 $$;

create or replace function partconf.configure(
    i_cluster text, i_part_nrs int4[], i_part_count int4, i_db_code int4,
    i_mapping text default 'mask', i_hash_flavor text default 'modern')
returns int8 language sql as $$
    insert into partconf.conf (cluster_name, part_nrs, part_count, db_code, mapping, hash_flavor)
    values (i_cluster, i_part_nrs, i_part_count, i_db_code, i_mapping, i_hash_flavor)
    on conflict (singleton) do update
        set cluster_name = excluded.cluster_name, part_nrs = excluded.part_nrs, part_count = excluded.part_count,
            db_code = excluded.db_code, mapping = excluded.mapping, hash_flavor = excluded.hash_flavor,
            fenced_nrs = '{}', fence_count = null, fenced_until = null, version = partconf.conf.version + 1
    returning version
$$;

-- Fences the keys whose partition under i_count is one of i_nrs (i_count is the partition count, or the doubled count
-- of a split), for i_seconds: check_hash refuses them with PX001 until the fence is lifted or expires. Arguments that
-- would fence nothing (a count of 0, a count a mask cluster cannot have, partition numbers outside the count, no
-- partition, no lifetime) are refused (22023) and nothing changes.
create or replace function partconf.fence(i_nrs int4[], i_count int4, i_seconds float8) returns timestamptz language plpgsql as $$
declare
    c partconf.conf;
    until timestamptz;
begin
    select * into c from partconf.conf;
    if not found then
        raise exception 'partconf is not configured on database %', current_database() using errcode = 'PX000';
    end if;
    if i_count is null or i_count < 1 then
        raise exception 'partconf.fence: the partition count must be positive, not %', coalesce(i_count::text, 'NULL') using errcode = '22023';
    end if;
    if c.mapping = 'mask' and (i_count & (i_count - 1)) <> 0 then
        raise exception 'partconf.fence: cluster % maps by mask, so its partition count is a power of two, not %', c.cluster_name, i_count using errcode = '22023';
    end if;
    if i_nrs is null or cardinality(i_nrs) = 0 or array_position(i_nrs, null) is not null or not (0 <= all (i_nrs) and i_count > all (i_nrs)) then
        raise exception 'partconf.fence: the partitions to fence (%) must be some of 0..% under count %', coalesce(i_nrs::text, 'NULL'), i_count - 1, i_count using errcode = '22023';
    end if;
    if i_seconds is null or not (i_seconds > 0) then
        raise exception 'partconf.fence: the fence needs a positive lifetime in seconds, not %', coalesce(i_seconds::text, 'NULL') using errcode = '22023';
    end if;
    until := clock_timestamp() + make_interval(secs => i_seconds);
    update partconf.conf set fenced_nrs = i_nrs, fence_count = i_count, fenced_until = until, version = version + 1;
    return until;
end
$$;

create or replace function partconf.unfence() returns void language sql as $$
    update partconf.conf set fenced_nrs = '{}', fence_count = null, fenced_until = null, version = version + 1
    where fenced_nrs <> '{}'
$$;

-- The partition a hash maps to, as PL/Proxy maps it: hash & (count - 1), or abs(hash % count) for modular clusters.
create or replace function partconf.partition_of(i_hash int8) returns int4 language sql stable strict as $$
    select case c.mapping when 'mask' then (i_hash & (c.part_count - 1))::int4 else abs(i_hash % c.part_count)::int4 end
    from partconf.conf c
$$;

create or replace function partconf.check_hash(i_hash int8) returns void language plpgsql stable as $$
declare
    c partconf.conf;
    p int4;
    n int4;
    f int4;
begin
    select * into c from partconf.conf;
    if not found then
        raise exception 'partconf is not configured on database %', current_database()
            using errcode = 'PX000', hint = 'Install it with plproxy partconf install, or call partconf.configure(...).';
    end if;
    if i_hash is null then
        raise exception 'partconf.check_hash: the hash is NULL (cluster %): it belongs to no partition', c.cluster_name using errcode = 'PX002';
    end if;
    p := case c.mapping when 'mask' then (i_hash & (c.part_count - 1))::int4 else abs(i_hash % c.part_count)::int4 end;
    if not (p = any (c.part_nrs)) then
        raise exception 'hash % of cluster % belongs to partition %, not to database % (partitions %)',
            i_hash, c.cluster_name, p, current_database(), array_to_string(c.part_nrs, ', ')
            using errcode = 'PX001', hint = 'The caller''s partition map is stale: reload it and send the call again.';
    end if;
    if c.fenced_nrs <> '{}' and (c.fenced_until is null or clock_timestamp() < c.fenced_until) then
        n := coalesce(c.fence_count, c.part_count);
        f := case c.mapping when 'mask' then (i_hash & (n - 1))::int4 else abs(i_hash % n)::int4 end;
        if f = any (c.fenced_nrs) then
            raise exception 'hash % of cluster % belongs to partition %, whose keys are being moved away from database %',
                i_hash, c.cluster_name, p, current_database()
                using errcode = 'PX001', hint = 'Send the call again once the new partition map is published.';
        end if;
    end if;
end
$$;

-- Jenkins' lookup2 mixing step over three unsigned 32-bit values held in int8.
create or replace function partconf.lookup2_mix(inout a int8, inout b int8, inout c int8) language plpgsql immutable strict as $$
declare
    m constant int8 := 4294967295;
begin
    a := (a - b - c) & m; a := a # (c >> 13);
    b := (b - c - a) & m; b := b # ((a << 8) & m);
    c := (c - a - b) & m; c := c # (b >> 13);
    a := (a - b - c) & m; a := a # (c >> 12);
    b := (b - c - a) & m; b := b # ((a << 16) & m);
    c := (c - a - b) & m; c := c # (b >> 5);
    a := (a - b - c) & m; a := a # (c >> 3);
    b := (b - c - a) & m; b := b # ((a << 10) & m);
    c := (c - a - b) & m; c := c # (b >> 15);
end
$$;

-- hashtext() of PostgreSQL 8.3 and older (lookup2 over the UTF-8 bytes), for clusters partitioned before 8.4.
create or replace function partconf.legacy_hashtext(i_value text) returns int4 language plpgsql immutable strict as $$
declare
    k bytea := convert_to(i_value, 'UTF8');
    len int4 := length(k);
    m constant int8 := 4294967295;
    a int8 := 2654435769;
    b int8 := 2654435769;
    c int8 := 3923095;
    pos int4 := 0;
    rest int4;
begin
    while len - pos >= 12 loop
        a := (a + get_byte(k, pos) + (get_byte(k, pos + 1)::int8 << 8) + (get_byte(k, pos + 2)::int8 << 16) + (get_byte(k, pos + 3)::int8 << 24)) & m;
        b := (b + get_byte(k, pos + 4) + (get_byte(k, pos + 5)::int8 << 8) + (get_byte(k, pos + 6)::int8 << 16) + (get_byte(k, pos + 7)::int8 << 24)) & m;
        c := (c + get_byte(k, pos + 8) + (get_byte(k, pos + 9)::int8 << 8) + (get_byte(k, pos + 10)::int8 << 16) + (get_byte(k, pos + 11)::int8 << 24)) & m;
        select * into a, b, c from partconf.lookup2_mix(a, b, c);
        pos := pos + 12;
    end loop;
    c := (c + len) & m;
    rest := len - pos;
    if rest >= 11 then c := (c + (get_byte(k, pos + 10)::int8 << 24)) & m; end if;
    if rest >= 10 then c := (c + (get_byte(k, pos + 9)::int8 << 16)) & m; end if;
    if rest >= 9 then c := (c + (get_byte(k, pos + 8)::int8 << 8)) & m; end if;
    if rest >= 8 then b := (b + (get_byte(k, pos + 7)::int8 << 24)) & m; end if;
    if rest >= 7 then b := (b + (get_byte(k, pos + 6)::int8 << 16)) & m; end if;
    if rest >= 6 then b := (b + (get_byte(k, pos + 5)::int8 << 8)) & m; end if;
    if rest >= 5 then b := (b + get_byte(k, pos + 4)) & m; end if;
    if rest >= 4 then a := (a + (get_byte(k, pos + 3)::int8 << 24)) & m; end if;
    if rest >= 3 then a := (a + (get_byte(k, pos + 2)::int8 << 16)) & m; end if;
    if rest >= 2 then a := (a + (get_byte(k, pos + 1)::int8 << 8)) & m; end if;
    if rest >= 1 then a := (a + get_byte(k, pos)) & m; end if;
    select * into a, b, c from partconf.lookup2_mix(a, b, c);
    return (case when c >= 2147483648 then c - 4294967296 else c end)::int4;
end
$$;

-- The hash of a text key in this cluster's flavour.
create or replace function partconf.hash_text(i_value text) returns int4 language sql stable strict as $$
    select case c.hash_flavor when 'legacy83' then partconf.legacy_hashtext(i_value) else hashtext(i_value) end
    from partconf.conf c
$$;

-- Row trigger: create trigger t before insert or update on accounts for each row
--     execute function partconf.valid_hash('username');            -- hashtext (the cluster's flavour) of the column
--     execute function partconf.valid_hash('user_id', 'hashint8');  -- or a named hash function of the column
-- rejects (PX001) a row whose key does not belong to this database (PX002 a NULL key), and declares the table partitioned by that column.
create or replace function partconf.valid_hash() returns trigger language plpgsql as $$
declare
    h int8;
begin
    if tg_nargs not in (1, 2) then
        raise exception 'partconf.valid_hash on %: give the key column (and optionally its hash function) as trigger arguments', tg_table_name
            using errcode = 'PX000';
    end if;
    -- Before hashing: partconf.hash_text gives NULL where nothing is configured, which must not read as a NULL key.
    perform 1 from partconf.conf;
    if not found then
        raise exception 'partconf is not configured on database %', current_database() using errcode = 'PX000';
    end if;
    if tg_nargs = 2 then
        execute format('select %s(($1).%I)::int8', tg_argv[1]::regproc, tg_argv[0]) into h using new;
    else
        execute format('select partconf.hash_text(($1).%I::text)', tg_argv[0]) into h using new;
    end if;
    if h is null then
        raise exception 'partconf.valid_hash on %: the key column % is NULL: it belongs to no partition', tg_table_name, tg_argv[0] using errcode = 'PX002';
    end if;
    perform partconf.check_hash(h);
    return new;
end
$$;

create or replace function partconf.global_id() returns int8 language plpgsql volatile as $$
declare
    code int4;
begin
    select db_code into code from partconf.conf;
    if not found then
        raise exception 'partconf is not configured on database %', current_database() using errcode = 'PX000';
    end if;
    return nextval('partconf.global_id_seq') * 1024 + code;
end
$$;
