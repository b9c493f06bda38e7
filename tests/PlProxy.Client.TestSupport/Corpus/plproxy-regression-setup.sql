-- Types and domains the corpus's signatures and bodies refer to, created in a proxy database before its functions.
create type ret_table as (id int4, data text);
create type ret_test_rec as (id int4, dat text);
create type intl_data as (id int4, "ünïcode" text);
create type numbers_type as (num int4, name text);
create domain posint as int4 check (value > 0);
create type struct as (id int4, data text);
create type "RetWeird" as ("ColId" int4, "ColData" text);
create type "bad type" as (x int4);
create type f8range as range (subtype = float8);
