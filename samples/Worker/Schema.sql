-- Every partition database of the cluster 'ledger' gets this.
create table if not exists balances (username text primary key, balance numeric not null default 0);
create table if not exists credits (id text primary key, username text not null, amount numeric not null);
-- Applied once per credit id: a redelivered event (PgQ delivers at least once) changes nothing.
create or replace function credit(i_username text, i_amount numeric, i_credit_id text) returns boolean language plpgsql as $$
begin
    insert into credits values (i_credit_id, i_username, i_amount) on conflict (id) do nothing;
    if not found then
        return false;
    end if;
    insert into balances as b values (i_username, i_amount)
    on conflict (username) do update set balance = b.balance + excluded.balance;
    return true;
end $$;
