using System;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <summary>A failed synthesis sample is tried again later: its attempts so far and when the next is due.</summary>
    [DbContext(typeof(SelfLongDbContext))]
    [Migration("20261203160000_SampleRetries")]
    public partial class SampleRetries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(name: "Attempts", table: "synthesis_samples", type: "integer", nullable: false, defaultValue: 1);
            migrationBuilder.AddColumn<DateTimeOffset>(name: "RetryAt", table: "synthesis_samples", type: "timestamp with time zone", nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(name: "Attempts", table: "synthesis_samples");
            migrationBuilder.DropColumn(name: "RetryAt", table: "synthesis_samples");
        }
    }
}
