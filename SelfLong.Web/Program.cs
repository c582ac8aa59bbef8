using SelfLong.Data;
using SelfLong.Web;

var app = SelfLongWebApplication.Create(args);
await app.Services.MigrateSelfLongDatabaseAsync();
await app.RunAsync();
