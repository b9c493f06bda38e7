-- Bodies of PL/Proxy's regression tests (github plproxy/plproxy, test/sql/*.sql), one CREATE FUNCTION per case.
-- RegressionCorpusTests creates each in a real PL/Proxy proxy database (the oracle's accept/reject decision) and
-- checks that PlProxy.Client's parser and binder decide the same, with the same error.
-- A "-- client:" line records where the client decides differently on purpose, and why.
-- Left out: functions whose only point is variadic arguments, volatility, pseudo types or a RECORD without a
-- column list, none of which a C# method can have.
-- case: plproxy_alter.sql#1 test_table1
create function test_table1()
returns ret_table as $$
    cluster 'testcluster';
    run on 0;
$$ language plproxy;

-- case: plproxy_cancel.sql#2 rsleep
create function rsleep(val int4, out res int4) returns setof int4 as $$
    cluster 'testcluster';
    run on all;
$$ language plproxy;

-- case: plproxy_clustermap.sql#3 test_clustermap
create function test_clustermap(part integer) returns setof text as $$
    cluster map_cluster(part);
    run on 0;
    select current_database();
$$ language plproxy;

-- case: plproxy_dynamic_record.sql#4 dynamic_query
create or replace function dynamic_query(q text)
returns setof record as $x$
    cluster 'map0';
    run on all;
$x$ language plproxy;

-- case: plproxy_encoding.sql#6 test_encoding
create function test_encoding() returns setof intl_data as $$
    cluster 'testcluster'; run on 0; select * from intl_data order by 1;
$$ language plproxy;

-- case: plproxy_encoding.sql#7 test_encoding2
create function test_encoding2(text) returns setof intl_data as $$
    cluster 'testcluster'; run on 0;
    select 0 as id, $1 as "コラム";
$$ language plproxy;

-- case: plproxy_encoding.sql#8 test_encoding3
create function test_encoding3(text) returns setof intl_data as $$
    cluster 'testcluster'; run on 0;
$$ language plproxy;

-- case: plproxy_encoding.sql#9 test_encoding
create function test_encoding() returns setof intl_data as $$
    cluster 'testcluster'; run on 0; select * from intl_data order by 1;
$$ language plproxy;

-- case: plproxy_encoding.sql#10 test_encoding2
create function test_encoding2(text) returns setof intl_data as $$
    cluster 'testcluster'; run on 0;
    select 0 as id, $1 as "コラム";
$$ language plproxy;

-- case: plproxy_encoding.sql#11 test_encoding3
create function test_encoding3(text) returns setof intl_data as $$
    cluster 'testcluster'; run on 0;
$$ language plproxy;

-- case: plproxy_errors.sql#12 test_err1
-- client: reject PLPX2004 username is no argument: PL/Proxy accepts the body and fails on every call with: column "username" does not exist
create function test_err1(dat text)
returns text as $$
    cluster 'testcluster';
    run on hashtext(username);
$$ language plproxy;

-- case: plproxy_errors.sql#13 test_err2
create function test_err2(dat text)
returns text as $$
    cLuStEr 'testcluster';
    rUn oN hAshtext($2);
$$ language plproxy;

-- case: plproxy_errors.sql#14 test_err3
create function test_err3(dat text)
returns text as $$
    cluster 'nonexists';
    run on hashtext($1);
$$ language plproxy;

-- case: plproxy_errors.sql#15 test_err_none
create function test_err_none(dat text)
returns text as $$
    cluster 'testcluster';
    run on hashtext($1);
    select 'ok';
$$ language plproxy;

-- case: plproxy_errors.sql#16 test_map_err1
create function test_map_err1(dat text)
returns text as $$ cluster 'testcluster'; run on 0;
    select dat as "foo", 'asd' as "bar";
$$ language plproxy;

-- case: plproxy_errors.sql#17 test_map_err2
create function test_map_err2(dat text, out res1 text, out res2 text)
returns record as $$ cluster 'testcluster'; run on 0;
    select dat as res1;
$$ language plproxy;

-- case: plproxy_errors.sql#18 test_map_err3
create function test_map_err3(dat text, out res1 text, out res2 text)
returns record as $$ cluster 'testcluster'; run on 0;
    select dat as res1, 'foo' as res_none;
$$ language plproxy;

-- case: plproxy_errors.sql#19 test_map_err4
create function test_map_err4(dat text, out res1 text, out res2 text)
returns record as $$
    --cluster 'testcluster';
    run on hashtext(dat);
    select dat as res2, 'foo' as res1;
$$ language plproxy;

-- case: plproxy_errors.sql#24 test_runonall_err
create function test_runonall_err(dat text)
returns text
as $$
    cluster 'testcluster';
    run on all;
$$ language plproxy;

-- case: plproxy_errors.sql#25 test_no_results_plproxy
create function test_no_results_plproxy()
returns int
as $$
    cluster 'testcluster';
    run on any;
    select 1 from pg_database where datname = '';
$$ language plproxy;

-- case: plproxy_errors.sql#26 test_multi_results_plproxy
create function test_multi_results_plproxy()
returns int
as $$
    cluster 'testcluster';
    run on any;
    select 1 from pg_database;
$$ language plproxy;

-- case: plproxy_many.sql#27 test_multi
create function test_multi(part integer, username text)
returns integer as $$ cluster 'testcluster'; run on int4(part); $$ language plproxy;

-- case: plproxy_many.sql#28 test_multi
create function test_multi(part integer, username text)
returns setof integer as $$ cluster 'testcluster'; run on all; $$ language plproxy;

-- case: plproxy_many.sql#29 test_multi
create function test_multi(part integer, username text)
returns setof integer as $$ cluster 'testcluster'; run on 2; $$ language plproxy;

-- case: plproxy_many.sql#30 test_multi
create function test_multi(part integer, username text)
returns setof integer as $$ cluster 'testcluster'; run on any; $$ language plproxy;

-- case: plproxy_modular.sql#31 mod1_test
create or replace function mod1_test(hash int) returns setof text as $$
    cluster 'modcluster1';
    run on hash;
    select 'plproxy: user=' || current_user || ' dbname=' || current_database();
$$ language plproxy;

-- case: plproxy_range.sql#32 test_range
create or replace function test_range(in _id integer, inout frange f8range, out irange int4range)
returns setof record as $$
    cluster 'testcluster';
    run on _id;
$$ language plproxy;

-- case: plproxy_select.sql#33 test_select
create function test_select(xuser text, tmp boolean)
returns integer as $x$
    cluster 'testcluster';
    run on hashtext(xuser);
    select /*********
    junk ;
    ********** ****/ id from sel_test where username = xuser
     and ';' <> 'as;d''a ; sd'
    and $tmp$ ; 'a' $tmp$ <> 'as;d''a ; sd'
    and "..""quoted"".." = 'quoted'
    and $tmp$ $ $$  $foo$tmp$ <> 'x';
$x$ language plproxy;

-- case: plproxy_select.sql#34 test_select_err
create function test_select_err(xuser text, tmp boolean)
returns integer as $$
    cluster 'testcluster';
    run on hashtext(xuser);
    select id from sel_test where username = xuser;
    select id from sel_test where username = xuser;
$$ language plproxy;

-- case: plproxy_select.sql#35 get_zero
create function get_zero()
returns setof integer as $x$
    cluster 'testcluster';
    run on all;
    select (0*0);
$x$ language plproxy;

-- case: plproxy_select.sql#36 get_one
create function get_one()
returns setof numbers_type as $x$
    cluster 'testcluster';
    run on all;
    select (ret_numtuple(1)).num, (ret_numtuple(1)).name;
$x$ language plproxy;

-- case: plproxy_select.sql#37 test1
CREATE OR REPLACE FUNCTION test1(x integer, a varchar, b varchar, c varchar)
RETURNS void AS $$
CLUSTER 'testcluster';
RUN ON 0;
SELECT * FROM remote_func(a, b, c);
$$ LANGUAGE plproxy;

-- case: plproxy_select.sql#38 test2
CREATE OR REPLACE FUNCTION test2(a varchar, b varchar, c varchar)
RETURNS void AS $$
CLUSTER 'testcluster';
RUN ON 0;
SELECT * FROM remote_func(a, b, c);
$$ LANGUAGE plproxy;

-- case: plproxy_select.sql#39 test3
CREATE OR REPLACE FUNCTION test3(a varchar, b varchar, c varchar)
RETURNS void AS $$
CLUSTER 'testcluster';
RUN ON 0;
SELECT * FROM remote_func(a, c, b);
$$ LANGUAGE plproxy;

-- case: plproxy_split.sql#40 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split $4; cluster 'testcluster'; run on 0;$$ language plproxy;

-- case: plproxy_split.sql#41 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split x; cluster 'testcluster'; run on 0; $$ language plproxy;

-- case: plproxy_split.sql#42 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split a, b, b; cluster 'testcluster'; run on 0; $$ language plproxy;

-- case: plproxy_split.sql#43 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split $3; cluster 'testcluster'; run on 0;$$ language plproxy;

-- case: plproxy_split.sql#44 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split a, b; cluster 'testcluster'; run on 0; $$ language plproxy;

-- case: plproxy_split.sql#45 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split a; cluster 'testcluster'; run on ascii(a);$$ language plproxy;

-- case: plproxy_split.sql#46 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split a, b; cluster 'testcluster'; run on ascii(c);$$ language plproxy;

-- case: plproxy_split.sql#47 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split a, b; cluster 'testcluster'; run on ascii(a);$$ language plproxy;

-- case: plproxy_split.sql#48 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split all; cluster 'testcluster'; run on ascii(c);$$ language plproxy;

-- case: plproxy_split.sql#49 test_nonarray_split
create or replace function test_nonarray_split(a text, b text, c text) returns setof text as
$$ split all; cluster 'testcluster'; run on ascii(a); select * from test_array(array[a], array[b], c);
$$ language plproxy;

-- case: plproxy_split.sql#50 test_array
create or replace function test_array(a text[], b text[], c text) returns setof text as
$$ split all; cluster 'testcluster'; run on ascii(a);$$ language plproxy;

-- case: plproxy_split.sql#51 test_array_direct
create or replace function test_array_direct(a integer[], b text[], c text) returns setof text as
$$ split a; cluster 'testcluster'; run on a; select test_array('{}'::text[], b, c);$$ language plproxy;

-- case: plproxy_split.sql#52 test_array_direct
create or replace function test_array_direct(a integer[], b text[], c text) returns setof text as
$$ split a, b; cluster 'testcluster'; run on a; select test_array('{}'::text[], b, c);$$ language plproxy;

-- case: plproxy_sqlmed.sql#53 sqlmed_test1
create or replace function sqlmed_test1() returns setof text as $$
    cluster 'sqlmedcluster';
    run on 0;
    select 'plproxy: user=' || current_user || ' dbname=' || current_database();
$$ language plproxy;

-- case: plproxy_sqlmed.sql#54 sqlmed_compat_test
create or replace function sqlmed_compat_test() returns setof text as $$
    cluster 'testcluster';
    run on 0;
    select 'plproxy: part=' || current_database();
$$ language plproxy;

-- case: plproxy_table.sql#55 test_ret_table_normal
create or replace function test_ret_table_normal(in _id integer, out id integer, out t text)
returns setof record as $$
    cluster 'testcluster';
    run on _id;
    target test_ret_table;
$$ language plproxy;

-- case: plproxy_table.sql#56 test_ret_table
create or replace function test_ret_table(in _id integer)
returns table (id integer, t text) as $$
    cluster 'testcluster';
    run on _id;
$$ language plproxy;

-- case: plproxy_target.sql#57 test_target
create function test_target(xuser text, tmp boolean)
returns text as $$
    cluster 'testcluster';
    run on 0;
    target test_target_dst;
$$ language plproxy;

-- case: plproxy_target.sql#58 test_target_err1
create function test_target_err1(xuser text)
returns text as $$
    cluster 'testcluster';
    run on 0;
    target test_target_dst;
    target test_target_dst;
$$ language plproxy;

-- case: plproxy_target.sql#59 test_target_err2
create function test_target_err2(xuser text)
returns text as $$
    cluster 'testcluster';
    run on 0;
    target test_target_dst;
    select 1;
$$ language plproxy;

-- case: plproxy_test.sql#60 testfunc
create function testfunc(username text, id integer, data text)
returns text as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#61 test_set
create function test_set(username text, num integer)
returns setof text as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#62 test_record
create function test_record(username text, num integer)
returns ret_test_rec as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#63 test_record_set
create function test_record_set(username text, num integer)
returns setof ret_test_rec as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#64 test_void
create function test_void(username text, num integer)
returns void as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#65 test_out1
create function test_out1(username text, id integer, out data text)
as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#66 test_out2
create function test_out2(username text, id integer, out out_id integer, xdata text, inout xdata2 text, out odata text)
as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#67 test_types
create function test_types(username text, inout vbool boolean, inout xdate timestamp, inout bin bytea)
as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#68 test_types2
create function test_types2(username text, inout v_posint posint, inout v_struct struct, inout arr int8[])
as $$ cluster 'testcluster'; $$ language plproxy;

-- case: plproxy_test.sql#69 test_connect1
create function test_connect1() returns text
as $$ connect 'dbname=test_part'; select current_database(); $$ language plproxy;

-- case: plproxy_test.sql#70 test_connect2
create function test_connect2(connstr text) returns text
as $$ connect connstr; select current_database(); $$ language plproxy;

-- case: plproxy_test.sql#71 test_connect3
create function test_connect3(connstr text) returns text
as $$ connect text(connstr); select current_database(); $$ language plproxy;

-- case: plproxy_test.sql#72 testQuoting
create function "testQuoting"(username text, id integer, data text)
returns "RetWeird" as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#73 test_argq
create function test_argq(username text, "some arg" integer, "other arg" "bad type",
                          out "bad out" text, out "bad out2" "bad type")
as $$ cluster 'testcluster'; run on hashtext(username); $$ language plproxy;

-- case: plproxy_test.sql#74 test_hash16
create function test_hash16(id integer, data text)
returns text as $$ cluster 'testcluster'; run on t_hash16(id); select data; $$ language plproxy;

-- case: plproxy_test.sql#75 test_hash64
create function test_hash64(id integer, data text)
returns text as $$ cluster 'testcluster'; run on t_hash64(id); select data; $$ language plproxy;

-- case: plproxy_test.sql#76 test_difftypes
create function test_difftypes(username text, out val1 int4, out val2 float4)
as $$ cluster 'testcluster'; run on 0; $$ language plproxy;

-- case: plproxy_test.sql#77 test_simple
create function test_simple(partno int4) returns int4
as $$
    cluster 'testcluster';
    run on $1;
$$ language plproxy;

-- case: plproxy_test.sql#78 test_simple
create function test_simple(partno int4) returns int4
as $$
    cluster 'testcluster';
    run on partno;
$$ language plproxy;

-- case: plproxy_test.sql#79 test_error1
create function test_error1() returns int4
as $$
    cluster 'testcluster';
    run on 0;
$$ language plproxy;

-- case: plproxy_test.sql#80 test_error2
create function test_error2() returns int4
as $$
    cluster 'testcluster';
    run on 0;
    select err;
$$ language plproxy;

-- case: plproxy_test.sql#81 test_error3
create function test_error3() returns int4
as $$
    connect 'dbname=test_part';
$$ language plproxy;

-- case: plproxy_test.sql#82 test_bad_db
create function test_bad_db() returns int4
as $$
    cluster 'badcluster';
$$ language plproxy;

-- case: plproxy_test.sql#83 test_bad_db2
create function test_bad_db2() returns int4
as $$
    connect 'dbname=wrong_name_db';
$$ language plproxy;

