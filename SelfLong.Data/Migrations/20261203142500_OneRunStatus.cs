using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <summary>Every run kind speaks one status vocabulary (RunStatus): a finished synthesis run is Succeeded, as others are.</summary>
    [DbContext(typeof(SelfLongDbContext))]
    [Migration("20261203142500_OneRunStatus")]
    public partial class OneRunStatus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("UPDATE synthesis_runs SET \"Status\" = 'Succeeded' WHERE \"Status\" = 'Completed';");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("UPDATE synthesis_runs SET \"Status\" = 'Completed' WHERE \"Status\" = 'Succeeded';");
        }
    }
}
