<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="zh_CN">
<context>
    <name>App</name>
    <message>
        <location filename="../views/live_panel.py" line="57"/>
        <location filename="../views/results_view.py" line="347"/>
        <source>语言(&amp;L)</source>
        <translation>&amp;Language</translation>
    </message>
</context>
<context>
    <name>ApprovalView</name>
    <message>
        <location filename="../views/approval_view.py" line="89"/>
        <location filename="../views/approval_view.py" line="111"/>
        <source>核验员</source>
        <translation>Checker</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="90"/>
        <source>批准人</source>
        <translation>Approver</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="91"/>
        <source>角色(&amp;R)</source>
        <translation>&amp;Role</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="94"/>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="92"/>
        <source>账户(&amp;N)</source>
        <translation>Accou&amp;nt</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="93"/>
        <source>密码(&amp;P)</source>
        <translation>&amp;Password</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="95"/>
        <source>登录账户</source>
        <translation>Account logged in</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="96"/>
        <source>登录人姓名</source>
        <translation>Signed-in person</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="97"/>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="98"/>
        <source>登录(&amp;L)</source>
        <translation>&amp;Log in</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="99"/>
        <source>登录</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="100"/>
        <source>核验(&amp;C)</source>
        <translation>&amp;Check</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="101"/>
        <source>核验</source>
        <translation>Check</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="102"/>
        <source>批准(&amp;A)</source>
        <translation>&amp;Approve</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="103"/>
        <source>批准</source>
        <translation>Approve</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="104"/>
        <source>签发(&amp;I)</source>
        <translation>&amp;Issue</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="105"/>
        <source>签发</source>
        <translation>Issue</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="106"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="107"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="108"/>
        <source>待审批证书</source>
        <translation>Certificates awaiting approval</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="109"/>
        <source>消息</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="110"/>
        <source>证书编号</source>
        <translation>Certificate no.</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="110"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="110"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="110"/>
        <source>出厂编号</source>
        <translation>Serial no.</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="111"/>
        <source>结论</source>
        <translation>Verdict</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="111"/>
        <source>检定员</source>
        <translation>Verifier</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="156"/>
        <source>请先登录 (log in first)</source>
        <translation>Log in first</translation>
    </message>
    <message>
        <location filename="../views/approval_view.py" line="166"/>
        <source>%1：%2</source>
        <translation>%1: %2</translation>
    </message>
</context>
<context>
    <name>BenchGrid</name>
    <message>
        <location filename="../views/bench_grid.py" line="359"/>
        <source>多表位检定装置</source>
        <translation>Multi-position bench</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="495"/>
        <source>合格 %1  不合格 %2  需复检 %3  共 %4</source>
        <translation>Pass %1  Fail %2  Re-test %3  Total %4</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="301"/>
        <location filename="../views/bench_grid.py" line="343"/>
        <source>选择需复检</source>
        <translation>Select re-test positions</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="302"/>
        <location filename="../views/bench_grid.py" line="344"/>
        <source>清除选择</source>
        <translation>Clear selection</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="303"/>
        <location filename="../views/bench_grid.py" line="345"/>
        <source>复检所选</source>
        <translation>Re-test selected</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="341"/>
        <source>表位</source>
        <translation>Positions</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="342"/>
        <source>误差矩阵</source>
        <translation>Error matrix</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="363"/>
        <source>批次 {batch}</source>
        <translation>Batch {batch}</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="364"/>
        <source>{n} 表位</source>
        <translation>{n} positions</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="366"/>
        <source>记录编号 {no}</source>
        <translation>Record no. {no}</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="369"/>
        <source>复检：原检定 {no}</source>
        <translation>Re-test of run {no}</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="372"/>
        <source>表位 {p} 已复检</source>
        <translation>Positions {p} re-tested</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="499"/>
        <source>不合格: 表位 {p}</source>
        <translation>Fail: positions {p}</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="501"/>
        <source>需复检: 表位 {p}</source>
        <translation>Re-test: positions {p}</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="529"/>
        <source>已选 {n} 个表位</source>
        <translation>{n} positions selected</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="551"/>
        <source>请先选择要复检的表位</source>
        <translation>Select the positions to re-test first</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="554"/>
        <source>检定进行中，稍后再复检</source>
        <translation>A run is in progress: re-test when it has ended</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="562"/>
        <source>复检开始：表位 {p}</source>
        <translation>Re-test started: positions {p}</translation>
    </message>
</context>
<context>
    <name>BenchMatrix</name>
    <message>
        <location filename="../views/bench_matrix.py" line="57"/>
        <source>误差矩阵</source>
        <translation>Error matrix</translation>
    </message>
    <message>
        <location filename="../views/bench_matrix.py" line="107"/>
        <source>表位 {p} {point}: {value} {words}</source>
        <translation>Position {p} {point}: {value} {words}</translation>
    </message>
</context>
<context>
    <name>CampaignPage</name>
    <message>
        <location filename="../views/campaign_view.py" line="89"/>
        <source>标记完成(&amp;D)</source>
        <translation>Mark &amp;done</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="90"/>
        <source>标记完成：材料已报送</source>
        <translation>Mark done: report sent</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="91"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="92"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="94"/>
        <source>说明(&amp;N)</source>
        <translation>&amp;Note</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="95"/>
        <source>报送了什么、如何报送</source>
        <translation>what was sent, and how</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="96"/>
        <source>专项</source>
        <translation>Campaign</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="97"/>
        <source>截止事项</source>
        <translation>Deadlines</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="98"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="98"/>
        <source>截止日</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="98"/>
        <source>事项</source>
        <translation>Milestone</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="98"/>
        <source>剩余</source>
        <translation>Time left</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="99"/>
        <source>完成或起草</source>
        <translation>Done or drafted</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="123"/>
        <source>中文界面</source>
        <translation>English interface</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="141"/>
        <source>还有 %1 天</source>
        <translation>%1 days left</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="143"/>
        <source>今日截止</source>
        <translation>due today</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="145"/>
        <source>已逾期 %1 天</source>
        <translation>%1 days late</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="147"/>
        <source>%1 完成</source>
        <translation>done %1</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="149"/>
        <source>%1 已起草</source>
        <translation>drafted %1</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="158"/>
        <source>无专项</source>
        <translation>No campaign</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="162"/>
        <source>下一截止：%1 %2（%3）</source>
        <translation>Next deadline: %1 %2 (%3)</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="164"/>
        <source>下一截止：无</source>
        <translation>Next deadline: none</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="167"/>
        <source>当前阶段：%1</source>
        <translation>Phase: %1</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="190"/>
        <source>已记为完成：%1</source>
        <translation>Recorded as done: %1</translation>
    </message>
</context>
<context>
    <name>CertificateView</name>
    <message>
        <location filename="../views/certificate_view.py" line="105"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="106"/>
        <source>刷新证书列表</source>
        <translation>Refresh the certificate list</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="107"/>
        <source>打印(&amp;P)</source>
        <translation>&amp;Print</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="108"/>
        <location filename="../views/certificate_view.py" line="171"/>
        <source>打印证书</source>
        <translation>Print the certificate</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="109"/>
        <source>证书列表</source>
        <translation>Certificate list</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="110"/>
        <source>证书预览</source>
        <translation>Certificate preview</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="111"/>
        <source>证书编号</source>
        <translation>Certificate no.</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="111"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="111"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="111"/>
        <source>出厂编号</source>
        <translation>Serial no.</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="112"/>
        <source>结论</source>
        <translation>Verdict</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="112"/>
        <source>检定员</source>
        <translation>Verifier</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="150"/>
        <source>共 %1 页</source>
        <translation>%1 pages</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="161"/>
        <source>第 %1 页</source>
        <translation>Page %1</translation>
    </message>
    <message>
        <location filename="../views/certificate_view.py" line="174"/>
        <source>已打印 %1 页</source>
        <translation>%1 pages printed</translation>
    </message>
</context>
<context>
    <name>LedgerView</name>
    <message>
        <location filename="../views/ledger_view.py" line="108"/>
        <source>器具类别(&amp;K)</source>
        <translation>Category (&amp;K)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="109"/>
        <source>按器具类别筛选</source>
        <translation>Filter by category</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="110"/>
        <source>搜索出厂编号、名称、型号或使用单位</source>
        <translation>Search serial, name, model or owner</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="111"/>
        <source>搜索台账</source>
        <translation>Search the ledger</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="114"/>
        <location filename="../views/ledger_view.py" line="120"/>
        <source>未填</source>
        <translation>Not stated</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="114"/>
        <location filename="../views/ledger_view.py" line="156"/>
        <source>是</source>
        <translation>Yes</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="114"/>
        <location filename="../views/ledger_view.py" line="156"/>
        <source>否</source>
        <translation>No</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="120"/>
        <source>已备案</source>
        <translation>Filed</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="120"/>
        <source>未备案</source>
        <translation>Not filed</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="122"/>
        <source>民用(&amp;H)</source>
        <translation>Household (&amp;H)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="123"/>
        <source>备案(&amp;F)</source>
        <translation>Filing (&amp;F)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="124"/>
        <source>投用日期(&amp;D)</source>
        <translation>Commissioned (&amp;D)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="125"/>
        <source>已知</source>
        <translation>Known</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="126"/>
        <source>投用日期已知</source>
        <translation>Commissioning date known</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="128"/>
        <source>保存(&amp;S)</source>
        <translation>Save (&amp;S)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="129"/>
        <source>保存民用、备案和投用日期</source>
        <translation>Save household, filing and commissioning date</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="130"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="131"/>
        <source>刷新台账</source>
        <translation>Refresh the ledger</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="132"/>
        <source>台账</source>
        <translation>Ledger</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="134"/>
        <source>器具类别</source>
        <translation>Category</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="134"/>
        <source>出厂编号</source>
        <translation>Serial no.</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="134"/>
        <source>名称型号</source>
        <translation>Name and model</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="134"/>
        <source>使用单位</source>
        <translation>Owner</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="134"/>
        <source>民用</source>
        <translation>Household</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="135"/>
        <source>备案</source>
        <translation>Filing</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="135"/>
        <source>投用日期</source>
        <translation>Commissioned</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="135"/>
        <source>最近检定</source>
        <translation>Last verified</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="135"/>
        <source>证书编号</source>
        <translation>Certificate no.</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="135"/>
        <source>有效期至</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="144"/>
        <source>全部</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="165"/>
        <source>（使用期限）</source>
        <translation> (service life)</translation>
    </message>
    <message>
        <location filename="../views/ledger_view.py" line="195"/>
        <source>已保存：%1</source>
        <translation>Saved: %1</translation>
    </message>
</context>
<context>
    <name>LivePanel</name>
    <message>
        <location filename="../views/live_panel.py" line="188"/>
        <source>各检定点误差与最大允许误差</source>
        <translation>Errors of the test points against the MPE</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="189"/>
        <source>当前检定点各表位误差</source>
        <translation>Errors of every position at the current test point</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="190"/>
        <source>检定开始后在此显示实时读数</source>
        <translation>Live readings appear here once a verification starts</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="392"/>
        <source> 第 {n} 点</source>
        <translation> point {n}</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="409"/>
        <location filename="../views/live_panel.py" line="412"/>
        <source>误差</source>
        <translation>Error</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="419"/>
        <source>检定点</source>
        <translation>Test point</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="446"/>
        <source>误差 (%)</source>
        <translation>Error (%)</translation>
    </message>
    <message>
        <location filename="../views/live_panel.py" line="447"/>
        <source>表位</source>
        <translation>Position</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../views/login.py" line="55"/>
        <source>登录 (log in)</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="61"/>
        <source>账户(&amp;N)</source>
        <translation>Accou&amp;nt</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="62"/>
        <source>密码(&amp;P)</source>
        <translation>&amp;Password</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="63"/>
        <source>账户</source>
        <translation>Account</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="64"/>
        <source>密码</source>
        <translation>Password</translation>
    </message>
</context>
<context>
    <name>LoginRow</name>
    <message>
        <location filename="../views/login.py" line="118"/>
        <source>操作人账户(&amp;O)</source>
        <translation>&amp;Operator (account)</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="119"/>
        <source>密码(&amp;P)</source>
        <translation>&amp;Password</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="120"/>
        <source>操作人账户</source>
        <translation>Account of who acts</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="121"/>
        <source>密码</source>
        <translation>Password</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="122"/>
        <source>登录(&amp;I)</source>
        <translation>Log &amp;in</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="123"/>
        <source>登录</source>
        <translation>Log in</translation>
    </message>
    <message>
        <location filename="../views/login.py" line="130"/>
        <source>未登录</source>
        <translation>Not logged in</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../main_window.py" line="33"/>
        <source>检定</source>
        <translation>Run</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="34"/>
        <source>结果</source>
        <translation>Results</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="35"/>
        <source>表位</source>
        <translation>Positions</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="36"/>
        <source>任务</source>
        <translation>Tasks</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="37"/>
        <source>工作站与设备</source>
        <translation>Station &amp; devices</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="39"/>
        <source>证书</source>
        <translation>Certificates</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="40"/>
        <source>审批</source>
        <translation>Approval</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="41"/>
        <source>同步</source>
        <translation>Sync</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="42"/>
        <source>专项工作</source>
        <translation>Campaigns</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="43"/>
        <source>整改</source>
        <translation>Rectification</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="44"/>
        <source>台账</source>
        <translation>Ledger</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="154"/>
        <source>简定 法定计量检定工作站</source>
        <translation>Jianding legal-metrology workstation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="155"/>
        <source>导航</source>
        <translation>Navigation</translation>
    </message>
    <message>
        <location filename="../main_window.py" line="38"/>
        <source>标准器与装置</source>
        <translation>Standards and setups</translation>
    </message>
</context>
<context>
    <name>NextActions</name>
    <message>
        <location filename="../views/next_actions.py" line="47"/>
        <source>中文界面</source>
        <translation>English interface</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="44"/>
        <source>不合格：下一步</source>
        <translation>Failed: next actions</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="50"/>
        <source>{serial} 检定不合格 ({items})。通知书 {notice}</source>
        <translation>{serial} failed verification ({items}). Notice {notice}</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="54"/>
        <source>出具检定结果通知书(&amp;N)</source>
        <translation>Issue the &amp;notice of failure</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="54"/>
        <source>出具检定结果通知书</source>
        <translation>Issue the notice of failure</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="55"/>
        <source>复检(&amp;R)</source>
        <translation>&amp;Re-test</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="55"/>
        <source>复检同一器具</source>
        <translation>Re-test the same instrument</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="62"/>
        <source>调整或修理情况，如：更换计量芯片后校准</source>
        <translation>What was adjusted or repaired, e.g. metering chip replaced and calibrated</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="63"/>
        <source>调整或修理情况</source>
        <translation>Adjustment or repair</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="64"/>
        <source>调整后重新检定(&amp;A)</source>
        <translation>Re-verify after &amp;adjustment</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="64"/>
        <source>调整后重新检定</source>
        <translation>Re-verify after adjustment</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="70"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="99"/>
        <source>复检 {serial}: 确认后开始</source>
        <translation>Re-test {serial}: start when ready</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="105"/>
        <source>请填写调整或修理情况</source>
        <translation>Please say what was adjusted or repaired</translation>
    </message>
    <message>
        <location filename="../views/next_actions.py" line="109"/>
        <source>调整后重新检定 {serial} (调整: {note}): 确认后开始</source>
        <translation>Re-verify {serial} after adjustment ({note}): start when ready</translation>
    </message>
</context>
<context>
    <name>PositionChecklist</name>
    <message>
        <location filename="../views/position_checklist.py" line="177"/>
        <source>✓ 符合</source>
        <translation>✓ OK</translation>
    </message>
    <message>
        <location filename="../views/position_checklist.py" line="177"/>
        <source>✗ 不符合</source>
        <translation>✗ Not OK</translation>
    </message>
    <message>
        <location filename="../views/position_checklist.py" line="178"/>
        <source>未确认</source>
        <translation>Unchecked</translation>
    </message>
    <message>
        <location filename="../views/position_checklist.py" line="183"/>
        <source>表位 {p}: {state}</source>
        <translation>Position {p}: {state}</translation>
    </message>
</context>
<context>
    <name>PositionDetails</name>
    <message>
        <location filename="../views/bench_grid.py" line="209"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="238"/>
        <source>表位 %1</source>
        <translation>Position %1</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="240"/>
        <source>检定点</source>
        <translation>Test point</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="240"/>
        <source>结果</source>
        <translation>Result</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="240"/>
        <source>最大允许误差</source>
        <translation>MPE</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="240"/>
        <source>判定</source>
        <translation>Verdict</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="265"/>
        <source>故障 {n} 条</source>
        <translation>{n} faults</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="265"/>
        <source>无故障</source>
        <translation>No faults</translation>
    </message>
</context>
<context>
    <name>PositionTile</name>
    <message>
        <location filename="../views/bench_grid.py" line="111"/>
        <source>表位 %1</source>
        <translation>Pos. %1</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="135"/>
        <source>表位 %1：%2 %3</source>
        <translation>Position %1: %2 %3</translation>
    </message>
    <message>
        <location filename="../views/bench_grid.py" line="123"/>
        <source>已复检</source>
        <translation>Re-tested</translation>
    </message>
</context>
<context>
    <name>PromptPanel</name>
    <message>
        <location filename="../views/prompt_panel.py" line="226"/>
        <source>无待回答的提示</source>
        <translation>No prompt waiting</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="387"/>
        <source>全部确认(&amp;Y)</source>
        <translation>Confirm all (&amp;Y)</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="388"/>
        <source>全部确认</source>
        <translation>Confirm all</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="228"/>
        <source>提交(&amp;O)</source>
        <translation>Submit (&amp;O)</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="229"/>
        <source>提交检查结果</source>
        <translation>Submit the checklist</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="230"/>
        <source>确定(&amp;O)</source>
        <translation>&amp;OK</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="231"/>
        <source>提交输入值</source>
        <translation>Submit the value</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="232"/>
        <source>输入值</source>
        <translation>Value</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="233"/>
        <source>数值，可带单位</source>
        <translation>Number, unit optional</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="345"/>
        <source>范围 {low} … {high} {unit}</source>
        <translation>Range {low} … {high} {unit}</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="348"/>
        <source>在标准时间 {t} 读取显示</source>
        <translation>read the display when the standard time shows {t}</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="350"/>
        <source>协议读数 {v} {unit}：与显示一致直接确定，否则输入显示值</source>
        <translation>protocol value {v} {unit}: confirm if the display shows the same, else type what it shows</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="353"/>
        <source>输入被拒绝: {reason}</source>
        <translation>Entry refused: {reason}</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="384"/>
        <source>全部符合，除…(&amp;Y)</source>
        <translation>All conform, e&amp;xcept…</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="385"/>
        <source>全部表位符合，再点选不符合的表位</source>
        <translation>All positions conform; then click the ones that do not</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="398"/>
        <source>符合 {n}</source>
        <translation>{n} conform</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="401"/>
        <source>不符合: 表位 {list}</source>
        <translation>Do not conform: positions {list}</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="403"/>
        <source>未确认 (按不符合提交): 表位 {list}</source>
        <translation>Not confirmed (submitted as not conforming): positions {list}</translation>
    </message>
    <message>
        <location filename="../views/prompt_panel.py" line="405"/>
        <source>未勾选 {n} (按不符合提交)</source>
        <translation>{n} not ticked (submitted as not conforming)</translation>
    </message>
</context>
<context>
    <name>RectificationView</name>
    <message>
        <location filename="../views/rectification_view.py" line="93"/>
        <source>待整改</source>
        <translation>Open</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="93"/>
        <source>逾期未整改</source>
        <translation>Overdue</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="93"/>
        <source>已整改待核查</source>
        <translation>Rectified, to verify</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="94"/>
        <source>已验证关闭</source>
        <translation>Verified closed</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="94"/>
        <source>已撤销</source>
        <translation>Withdrawn</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="101"/>
        <source>全部</source>
        <translation>All</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="106"/>
        <source>状态(&amp;T)</source>
        <translation>S&amp;tatus</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="107"/>
        <source>按状态筛选</source>
        <translation>Filter by status</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="108"/>
        <source>扫描超期(&amp;N)</source>
        <translation>Sca&amp;n overdue</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="109"/>
        <source>为今日超期未检、应检未检、到期未轮换的器具立整改项</source>
        <translation>Open items for instruments overdue, never verified or past their service life today</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="110"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="111"/>
        <source>刷新整改项</source>
        <translation>Refresh the rectification items</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="113"/>
        <source>单位(&amp;U)</source>
        <translation>&amp;Unit</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="114"/>
        <source>整改情况或核查意见(&amp;E)</source>
        <translation>&amp;Evidence or verification note</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="115"/>
        <source>证明材料(&amp;F)</source>
        <translation>Evidence &amp;file</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="116"/>
        <source>单位</source>
        <translation>Unit</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="117"/>
        <source>报告整改：使用单位；核查：监管部门或检定机构</source>
        <translation>Report: the user unit; verify: the bureau or institution</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="118"/>
        <source>整改情况或核查意见</source>
        <translation>Evidence or verification note</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="119"/>
        <source>证明材料</source>
        <translation>Evidence file</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="120"/>
        <source>文件路径或文书编号（可选）</source>
        <translation>File path or document number (optional)</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="121"/>
        <source>报告整改(&amp;R)</source>
        <translation>&amp;Report rectification</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="122"/>
        <source>使用单位报告整改</source>
        <translation>The user unit reports its rectification</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="123"/>
        <source>验证关闭(&amp;C)</source>
        <translation>Verify and &amp;close</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="124"/>
        <source>核查属实，验证关闭</source>
        <translation>Verified as reported: close</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="125"/>
        <source>退回(&amp;J)</source>
        <translation>Re&amp;ject</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="126"/>
        <source>整改不到位，退回</source>
        <translation>Not rectified: reject</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="127"/>
        <source>整改项</source>
        <translation>Rectification items</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="128"/>
        <source>消息</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="129"/>
        <source>编号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="129"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="129"/>
        <source>问题类别</source>
        <translation>Finding</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="129"/>
        <source>使用单位</source>
        <translation>User unit</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="130"/>
        <source>器具</source>
        <translation>Instrument</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="130"/>
        <source>整改期限</source>
        <translation>Deadline</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="130"/>
        <source>问题描述</source>
        <translation>What was found</translation>
    </message>
    <message>
        <location filename="../views/rectification_view.py" line="193"/>
        <source>新立整改项 %1 项</source>
        <translation>%1 items opened</translation>
    </message>
</context>
<context>
    <name>ResultsView</name>
    <message>
        <location filename="../views/results_view.py" line="165"/>
        <source>检定结果</source>
        <translation>Verification results</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="166"/>
        <source>检定结论</source>
        <translation>Conclusion</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="169"/>
        <source>证书文件</source>
        <translation>Certificate files</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="175"/>
        <source>尚无检定结果</source>
        <translation>No results yet</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="194"/>
        <source>检定项目</source>
        <translation>Item</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="194"/>
        <source>表位</source>
        <translation>Position</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="195"/>
        <source>最大允许误差</source>
        <translation>MPE</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="195"/>
        <source>结论</source>
        <translation>Verdict</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="207"/>
        <source>检定进行中…</source>
        <translation>Verification in progress…</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="254"/>
        <source>检定未完成: {msg}</source>
        <translation>Run not finished: {msg}</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="267"/>
        <source>检定结论: {c}  {kind} {no}</source>
        <translation>Conclusion: {c}  {kind} {no}</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="281"/>
        <source>多表位检定完成: {c}</source>
        <translation>Bench run finished: {c}</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="167"/>
        <source>记录中的提示与说明</source>
        <translation>Flags and notes of the record</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="170"/>
        <source>打开文件(&amp;O)</source>
        <translation>&amp;Open document</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="171"/>
        <source>打开证书或通知书文件</source>
        <translation>Open the certificate or notice</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="172"/>
        <source>打印(&amp;P)</source>
        <translation>&amp;Print</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="173"/>
        <location filename="../views/results_view.py" line="331"/>
        <source>打印证书或通知书</source>
        <translation>Print the certificate or notice</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="194"/>
        <source>检定点</source>
        <translation>Test point</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="194"/>
        <source>结果</source>
        <translation>Result</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="310"/>
        <source>选择表位以打开其证书或通知书</source>
        <translation>Select a position to open its certificate or notice</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="312"/>
        <source>文件: {link}</source>
        <translation>Document: {link}</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="341"/>
        <source>已打印 {n} 页: {name}</source>
        <translation>Printed {n} pages: {name}</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="195"/>
        <source>出厂编号</source>
        <translation>Serial No.</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="195"/>
        <source>最大误差点</source>
        <translation>Worst point</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="196"/>
        <source>证书/通知书编号</source>
        <translation>Certificate / notice No.</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="196"/>
        <source>说明</source>
        <translation>Notes</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="168"/>
        <source>附页说明</source>
        <translation>Annex note</translation>
    </message>
</context>
<context>
    <name>RunView</name>
    <message>
        <location filename="../views/run_view.py" line="303"/>
        <location filename="../views/run_view.py" line="325"/>
        <source>开始检定</source>
        <translation>Start a verification</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="304"/>
        <source>工作站(&amp;T)</source>
        <translation>S&amp;tation</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="305"/>
        <source>检定规程(&amp;G)</source>
        <translation>Re&amp;gulation</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="306"/>
        <source>出厂编号(&amp;N)</source>
        <translation>Serial &amp;no.</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="307"/>
        <source>工作站</source>
        <translation>Station</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="308"/>
        <source>检定规程</source>
        <translation>Regulation</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="309"/>
        <source>出厂编号 (可扫码)</source>
        <translation>Serial no. (scan or type)</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="310"/>
        <source>扫码或输入出厂编号，回车确认</source>
        <translation>Scan or type the serial number, Enter to confirm</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="311"/>
        <source>规程版本(&amp;E)</source>
        <translation>&amp;Edition</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="312"/>
        <source>规程版本</source>
        <translation>Regulation edition</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="313"/>
        <source>检定类别(&amp;K)</source>
        <translation>Verification &amp;kind</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="314"/>
        <source>检定类别</source>
        <translation>Verification kind</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="315"/>
        <source>检定目的(&amp;P)</source>
        <translation>&amp;Purpose</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="316"/>
        <source>检定目的</source>
        <translation>Purpose</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="318"/>
        <source>任务</source>
        <translation>Task</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="319"/>
        <source>关联的平台预约</source>
        <translation>Linked platform booking</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="320"/>
        <source>取消关联(&amp;U)</source>
        <translation>&amp;Unlink</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="321"/>
        <source>取消关联任务</source>
        <translation>Unlink the task</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="324"/>
        <source>开始(&amp;S)</source>
        <translation>&amp;Start</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="326"/>
        <source>继续中断的检定(&amp;R)</source>
        <translation>&amp;Resume an interrupted run</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="327"/>
        <location filename="../views/run_view.py" line="530"/>
        <source>继续中断的检定</source>
        <translation>Resume an interrupted run</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="328"/>
        <source>中止(&amp;A)</source>
        <translation>&amp;Abort</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="329"/>
        <source>中止检定</source>
        <translation>Abort the run</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="330"/>
        <source>检定步骤</source>
        <translation>Steps</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="331"/>
        <source>步骤进度</source>
        <translation>Step progress</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="332"/>
        <source>检定状态</source>
        <translation>Run status</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="333"/>
        <location filename="../views/run_view.py" line="334"/>
        <source>操作员提示</source>
        <translation>Operator prompt</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="338"/>
        <source>就绪</source>
        <translation>Ready</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="410"/>
        <location filename="../views/run_view.py" line="423"/>
        <source>中文界面</source>
        <translation>English interface</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="425"/>
        <source>按检定类别</source>
        <translation>by verification type</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="438"/>
        <source>已关联任务 {task}，确认后开始</source>
        <translation>Task {task} linked: check the form, then start</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="449"/>
        <source>任务: {task}</source>
        <translation>Task: {task}</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="451"/>
        <source>未关联任务 (可在任务页选择)</source>
        <translation>No task linked (choose one on the Tasks page)</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="456"/>
        <source>已扫码: {serial}</source>
        <translation>Scanned: {serial}</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="501"/>
        <source>检定进行中 {run}</source>
        <translation>Run {run} in progress</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="507"/>
        <source>正在中止…</source>
        <translation>Aborting…</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="520"/>
        <source>继续中断的检定 ({n})(&amp;R)</source>
        <translation>&amp;Resume an interrupted run ({n})</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="532"/>
        <source>以下检定未完成，已测数据均已保存。继续最近的一项吗？</source>
        <translation>These runs did not finish; every reading taken is saved. Resume the latest?</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="535"/>
        <source>继续(&amp;Y)</source>
        <translation>Resume (&amp;Y)</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="536"/>
        <source>以后再说(&amp;N)</source>
        <translation>&amp;Not now</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="546"/>
        <source>进行中(中断)</source>
        <translation>running (interrupted)</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="546"/>
        <source>已暂停</source>
        <translation>paused</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="546"/>
        <source>已中止</source>
        <translation>aborted</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="547"/>
        <source>无效</source>
        <translation>void</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="548"/>
        <source>已完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="568"/>
        <source>继续检定 {code}: 沿用已完成 {n} 步</source>
        <translation>Resuming {code}: {n} finished steps kept</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="571"/>
        <source>检定 {code}: 共 {n} 步</source>
        <translation>{code}: {n} steps</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="613"/>
        <source>剩余约 {t}</source>
        <translation>about {t} left</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="639"/>
        <location filename="../views/run_view.py" line="656"/>
        <source>检定暂停，已测数据已保存: {msg}</source>
        <translation>Run paused, readings saved: {msg}</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="645"/>
        <location filename="../views/run_view.py" line="660"/>
        <source>检定已中止</source>
        <translation>Run aborted</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="647"/>
        <location filename="../views/run_view.py" line="658"/>
        <source>本次检定无效，不出具证书或通知书: {msg}</source>
        <translation>Run void, no certificate or notice: {msg}</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="652"/>
        <source>检定完成: {msg}</source>
        <translation>Run finished: {msg}</translation>
    </message>
    <message>
        <location filename="../views/run_view.py" line="666"/>
        <source>错误: {msg}</source>
        <translation>Error: {msg}</translation>
    </message>
</context>
<context>
    <name>StandardDialog</name>
    <message>
        <location filename="../views/standards_view.py" line="127"/>
        <source>无</source>
        <translation>None</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="148"/>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="148"/>
        <source>型号</source>
        <translation>Model</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="148"/>
        <source>出厂编号</source>
        <translation>Serial number</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="149"/>
        <source>准确度等级 / 不确定度</source>
        <translation>Accuracy class / uncertainty</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="149"/>
        <source>测量范围</source>
        <translation>Measuring range</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="150"/>
        <source>证书编号</source>
        <translation>Certificate number</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="150"/>
        <source>发证单位</source>
        <translation>Issued by</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="150"/>
        <source>证书类别</source>
        <translation>Certificate kind</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="151"/>
        <source>所属计量标准装置</source>
        <translation>Standard setup</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="151"/>
        <source>校准日期</source>
        <translation>Calibrated on</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="152"/>
        <source>有效期至</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="165"/>
        <source>登记(&amp;O)</source>
        <translation>Enter (&amp;O)</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="166"/>
        <source>取消</source>
        <translation>Cancel</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="170"/>
        <source>新增标准器</source>
        <translation>Add a reference standard</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="170"/>
        <source>新增计量标准装置</source>
        <translation>Add a standard setup</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="171"/>
        <source>更新校准证书</source>
        <translation>Renew the calibration certificate</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="171"/>
        <source>更新装置证书</source>
        <translation>Renew the setup&apos;s certificate</translation>
    </message>
</context>
<context>
    <name>StandardsView</name>
    <message>
        <location filename="../views/standards_view.py" line="262"/>
        <source>提前提醒天数(&amp;D)</source>
        <translation>Warn &amp;days ahead</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="263"/>
        <source>到期前提醒的天数</source>
        <translation>Days before expiry to warn</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="264"/>
        <source> 天</source>
        <translation> days</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="265"/>
        <source>新增标准器(&amp;A)</source>
        <translation>&amp;Add standard</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="266"/>
        <source>新增装置(&amp;I)</source>
        <translation>Add setup (&amp;I)</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="267"/>
        <source>更新证书(&amp;R)</source>
        <translation>&amp;Renew certificate</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="268"/>
        <source>以新证书更新所选标准器或装置</source>
        <translation>Renew the selected standard or setup with its new certificate</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="269"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="270"/>
        <source>标准器与计量标准装置</source>
        <translation>Reference standards and standard setups</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="272"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="272"/>
        <source>名称</source>
        <translation>Name</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="272"/>
        <source>型号 / 证书类别</source>
        <translation>Model / cert. kind</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="272"/>
        <source>出厂编号</source>
        <translation>Serial number</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="272"/>
        <source>证书编号</source>
        <translation>Certificate number</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="273"/>
        <source>有效期至</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="273"/>
        <source>状态</source>
        <translation>State</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="273"/>
        <source>所属装置 / 发证单位</source>
        <translation>Setup / issued by</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="290"/>
        <source>装置</source>
        <translation>Setup</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="290"/>
        <source>标准器</source>
        <translation>Standard</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="306"/>
        <source>红：已过期 {e} 项；琥珀：{d} 天内到期 {n} 项</source>
        <translation>Red: {e} expired; amber: {n} due within {d} days</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="339"/>
        <source>{who} (本库未设账户)</source>
        <translation>{who} (this database has no accounts)</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="342"/>
        <source>当前操作员: {who}。{rule}</source>
        <translation>Operator: {who}. {rule}</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="343"/>
        <source>可登记和更新标准器。</source>
        <translation>May enter and renew standards.</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="344"/>
        <source>登记或更新标准器须以管理员身份登录。</source>
        <translation>Entering or renewing standards needs an administrator&apos;s login.</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="375"/>
        <source>已登记: {name} {cert} 有效期至 {until}</source>
        <translation>Entered: {name} {cert} valid until {until}</translation>
    </message>
</context>
<context>
    <name>StationView</name>
    <message>
        <location filename="../views/station_view.py" line="78"/>
        <source>连接测试(&amp;T)</source>
        <translation>Connection &amp;test</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="79"/>
        <source>连接测试</source>
        <translation>Connection test</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="80"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="81"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="82"/>
        <source>设备列表</source>
        <translation>Devices</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="83"/>
        <source>工作站</source>
        <translation>Station</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="84"/>
        <source>消息</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="85"/>
        <source>设备</source>
        <translation>Device</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="85"/>
        <source>驱动</source>
        <translation>Driver</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="85"/>
        <source>角色</source>
        <translation>Role</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="85"/>
        <source>地址</source>
        <translation>Address</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="86"/>
        <source>标准器</source>
        <translation>Standard</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="86"/>
        <source>有效期至</source>
        <translation>Valid until</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="86"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="111"/>
        <source>未选择工作站</source>
        <translation>No station chosen</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="112"/>
        <source>（模拟设备）</source>
        <translation>(simulated devices)</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="123"/>
        <source>测试中…</source>
        <translation>Testing…</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="125"/>
        <source>标准器不可用</source>
        <translation>Standard not usable</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="128"/>
        <source>未测试</source>
        <translation>Not tested</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="129"/>
        <source>连接正常</source>
        <translation>Connected</translation>
    </message>
    <message>
        <location filename="../views/station_view.py" line="129"/>
        <source>连接失败</source>
        <translation>Connection failed</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <location filename="../status_bar.py" line="40"/>
        <source>检定员</source>
        <translation>verifier</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="40"/>
        <source>核验员</source>
        <translation>checker</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="41"/>
        <source>批准人</source>
        <translation>approver</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="42"/>
        <source>管理员</source>
        <translation>administrator</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="49"/>
        <source>温度</source>
        <translation>Temp.</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="50"/>
        <source>湿度</source>
        <translation>RH</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="270"/>
        <source>{who} (未登录)</source>
        <translation>{who} (not logged in)</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="276"/>
        <source>工作站: {name}</source>
        <translation>Station: {name}</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="280"/>
        <source> · 模拟</source>
        <translation> · sim</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="282"/>
        <source>设备故障</source>
        <translation>Device fault</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="284"/>
        <source>设备已连接</source>
        <translation>Devices connected</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="286"/>
        <source>设备空闲</source>
        <translation>Devices idle</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="291"/>
        <source>标准器: 未登记</source>
        <translation>Standards: none on record</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="293"/>
        <source>下一到期: {name} {until}</source>
        <translation>Due: {name} {until}</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="299"/>
        <source>环境: 未读取</source>
        <translation>Env.: not read</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="310"/>
        <source>上次读取的环境条件 (括号内为规程限值)</source>
        <translation>Environment last read (the regulation&apos;s limits in brackets)</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="315"/>
        <source>用时 —</source>
        <translation>Elapsed —</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="317"/>
        <source>用时 {t}</source>
        <translation>Elapsed {t}</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="320"/>
        <source>剩余约 {t}</source>
        <translation>about {t} left</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="322"/>
        <source> (已停)</source>
        <translation> (stopped)</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="328"/>
        <source>同步: 待上传 {n} · 上次 {last}</source>
        <translation>Sync: {n} queued · last {last}</translation>
    </message>
    <message>
        <location filename="../status_bar.py" line="330"/>
        <source> · 退回 {n}</source>
        <translation> · {n} rejected</translation>
    </message>
</context>
<context>
    <name>SyncView</name>
    <message>
        <location filename="../views/sync_view.py" line="73"/>
        <source>立即上传(&amp;U)</source>
        <translation>&amp;Upload now</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="74"/>
        <source>立即上传</source>
        <translation>Upload now</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="75"/>
        <source>重新排队(&amp;Q)</source>
        <translation>Re-&amp;queue</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="76"/>
        <source>被退回项重新排队</source>
        <translation>Re-queue the rejected item</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="77"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="78"/>
        <source>刷新</source>
        <translation>Refresh</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="80"/>
        <source>待上传项</source>
        <translation>Outbox</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="81"/>
        <source>消息</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="82"/>
        <source>编号</source>
        <translation>No.</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="82"/>
        <source>类别</source>
        <translation>Kind</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="82"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="82"/>
        <source>尝试次数</source>
        <translation>Attempts</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="83"/>
        <source>标识</source>
        <translation>Key</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="83"/>
        <source>错误</source>
        <translation>Error</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="116"/>
        <source>正在上传…</source>
        <translation>Uploading…</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="123"/>
        <source>平台不可用，稍后重试：%1</source>
        <translation>Platform unavailable, will retry: %1</translation>
    </message>
    <message>
        <location filename="../views/sync_view.py" line="125"/>
        <source>已确认 %1，被退回 %2，待上传 %3</source>
        <translation>Acknowledged %1, rejected %2, pending %3</translation>
    </message>
</context>
<context>
    <name>TasksView</name>
    <message>
        <location filename="../views/tasks_view.py" line="82"/>
        <source>拉取预约(&amp;L)</source>
        <translation>Pu&amp;ll bookings</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="83"/>
        <source>从管理平台拉取预约</source>
        <translation>Pull bookings from the platform</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="84"/>
        <source>刷新 (F5)</source>
        <translation>Refresh (F5)</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="85"/>
        <source>刷新任务列表</source>
        <translation>Refresh the task list</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="87"/>
        <source>理由(&amp;E)</source>
        <translation>R&amp;eason</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="88"/>
        <location filename="../views/tasks_view.py" line="101"/>
        <source>理由</source>
        <translation>Reason</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="89"/>
        <source>不予受理或申请重新指派时必填</source>
        <translation>Required to refuse or to ask for reassignment</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="90"/>
        <source>受理(&amp;A)</source>
        <translation>&amp;Accept</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="91"/>
        <source>受理</source>
        <translation>Accept</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="92"/>
        <source>不予受理(&amp;R)</source>
        <translation>&amp;Refuse</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="93"/>
        <source>不予受理</source>
        <translation>Refuse</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="94"/>
        <source>申请重新指派(&amp;G)</source>
        <translation>Ask for reassi&amp;gnment</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="95"/>
        <source>申请重新指派</source>
        <translation>Ask for reassignment</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="96"/>
        <source>检定此任务(&amp;V)</source>
        <translation>&amp;Verify this task</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="97"/>
        <source>检定此任务: 转到检定页并关联本预约</source>
        <translation>Verify this task: open the run page with this booking linked</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="98"/>
        <source>任务列表</source>
        <translation>Tasks</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="99"/>
        <source>消息</source>
        <translation>Message</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="100"/>
        <source>序号</source>
        <translation>#</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="100"/>
        <source>预约号</source>
        <translation>Booking no.</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="100"/>
        <source>状态</source>
        <translation>Status</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="100"/>
        <source>使用单位</source>
        <translation>Client</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="101"/>
        <source>预约日期</source>
        <translation>Booked for</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="101"/>
        <source>方式</source>
        <translation>Mode</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="101"/>
        <source>器具</source>
        <translation>Instruments</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="141"/>
        <source>正在拉取预约…</source>
        <translation>Pulling bookings…</translation>
    </message>
    <message>
        <location filename="../views/tasks_view.py" line="150"/>
        <source>预约已同步：新 %1，更新 %2</source>
        <translation>Bookings synced: %1 new, %2 updated</translation>
    </message>
</context>
<context>
    <name>TileArea</name>
    <message>
        <location filename="../views/bench_grid.py" line="153"/>
        <source>表位网格</source>
        <translation>Position grid</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <location filename="../views/results_view.py" line="83"/>
        <source>✓ 合格</source>
        <translation>✓ Pass</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="84"/>
        <source>✗ 不合格</source>
        <translation>✗ Fail</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="85"/>
        <source>? 待定</source>
        <translation>? Undetermined</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="86"/>
        <source>— 不适用</source>
        <translation>— N/A</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="87"/>
        <source>⚠ 需复检</source>
        <translation>⚠ Re-test</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="88"/>
        <source>— 附页</source>
        <translation>— annex</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="89"/>
        <source>✓ 符合</source>
        <translation>✓ Conforms</translation>
    </message>
    <message>
        <location filename="../views/results_view.py" line="90"/>
        <source>✗ 不符合</source>
        <translation>✗ Does not conform</translation>
    </message>
</context>
<context>
    <name>Views</name>
    <message>
        <location filename="../views/_common.py" line="42"/>
        <location filename="../views/bench_grid.py" line="63"/>
        <source>合格</source>
        <translation>Pass</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="43"/>
        <source>不合格</source>
        <translation>Fail</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="44"/>
        <source>需复检</source>
        <translation>Re-test</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="45"/>
        <source>待定</source>
        <translation>Undetermined</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="46"/>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="47"/>
        <source>等待</source>
        <translation>Waiting</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="59"/>
        <source>待受理</source>
        <translation>Booked</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="60"/>
        <source>已受理</source>
        <translation>Accepted</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="61"/>
        <source>不予受理</source>
        <translation>Refused</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="62"/>
        <source>申请重新指派</source>
        <translation>Reassignment requested</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="63"/>
        <location filename="../views/campaign_view.py" line="39"/>
        <source>已完成</source>
        <translation>Completed</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="69"/>
        <source>草稿</source>
        <translation>Draft</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="70"/>
        <source>已核验</source>
        <translation>Checked</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="71"/>
        <source>已批准</source>
        <translation>Approved</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="72"/>
        <source>已签发</source>
        <translation>Issued</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="73"/>
        <source>已被替代</source>
        <translation>Superseded</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="74"/>
        <source>已注销</source>
        <translation>Revoked</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="81"/>
        <source>检定证书</source>
        <translation>Verification certificate</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="84"/>
        <source>检定结果通知书</source>
        <translation>Notice of failure</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="83"/>
        <source>使用中检查结果通知书</source>
        <translation>In-service inspection result</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="89"/>
        <source>待上传</source>
        <translation>Pending</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="90"/>
        <source>已确认</source>
        <translation>Acknowledged</translation>
    </message>
    <message>
        <location filename="../views/_common.py" line="91"/>
        <source>被退回</source>
        <translation>Rejected</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="36"/>
        <source>逾期未完成</source>
        <translation>Late</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="37"/>
        <source>待完成</source>
        <translation>Due</translation>
    </message>
    <message>
        <location filename="../views/campaign_view.py" line="38"/>
        <source>逾期完成</source>
        <translation>Done late</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="55"/>
        <source>计量标准考核证书</source>
        <translation>Standard assessment certificate</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="55"/>
        <source>社会公用计量标准证书</source>
        <translation>Public standard certificate</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="79"/>
        <source>已过期 {n} 天</source>
        <translation>Expired {n} days ago</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="81"/>
        <source>{n} 天后到期</source>
        <translation>Due in {n} days</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="81"/>
        <source>今天到期</source>
        <translation>Due today</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="82"/>
        <source>有效 (剩 {n} 天)</source>
        <translation>Valid ({n} days left)</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="388"/>
        <source>标准器不可用</source>
        <translation>Standard not usable</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="390"/>
        <source>请在“标准器与装置”页登记或更新其证书。</source>
        <translation>Enter it or renew its certificate on the Standards and setups page.</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="391"/>
        <source>打开标准器与装置页(&amp;O)</source>
        <translation>&amp;Open the Standards and setups page</translation>
    </message>
    <message>
        <location filename="../views/standards_view.py" line="392"/>
        <source>关闭</source>
        <translation>Close</translation>
    </message>
    <message>
        <location filename="../views/bench_matrix.py" line="36"/>
        <source>合格 (近限)</source>
        <translation>Pass (near limit)</translation>
    </message>
    <message>
        <location filename="../views/bench_matrix.py" line="37"/>
        <source>故障</source>
        <translation>Fault</translation>
    </message>
    <message>
        <location filename="../views/bench_matrix.py" line="37"/>
        <source>未测</source>
        <translation>Not measured</translation>
    </message>
    <message>
        <location filename="../views/bench_state.py" line="262"/>
        <source>表位 {p} 不合格</source>
        <translation>positions {p} fail</translation>
    </message>
    <message>
        <location filename="../views/bench_state.py" line="264"/>
        <source>表位 {p} 需复检</source>
        <translation>positions {p} to re-test</translation>
    </message>
    <message>
        <location filename="../views/bench_state.py" line="265"/>
        <source>；</source>
        <translation>; </translation>
    </message>
</context>
</TS>
