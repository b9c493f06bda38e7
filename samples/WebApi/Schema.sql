-- Every partition database of the cluster 'accounts' gets this.
create table if not exists accounts (username text primary key, balance numeric not null default 0);
create or replace function get_balance(i_username text) returns numeric language sql as $$
    select balance from accounts where username = i_username $$;
create or replace function deposit(i_username text, i_amount numeric) returns numeric language sql as $$
    insert into accounts as a values (i_username, i_amount)
    on conflict (username) do update set balance = a.balance + excluded.balance
    returning balance $$;
create or replace function count_accounts() returns table(db text, accounts int8) language sql as $$
    select current_database()::text, count(*) from accounts $$;
