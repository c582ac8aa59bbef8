using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace SelfLong.Data.Migrations
{
    /// <summary>
    /// Leases on an endpoint's call slots (SelfLong.Jobs' EndpointConcurrencyLimiter). Plain SQL and
    /// no entity: only that class reads or writes the table.
    /// </summary>
    [DbContext(typeof(SelfLongDbContext))]
    [Migration("20261203131500_EndpointCallSlots")]
    public partial class EndpointCallSlots : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE endpoint_call_slots (
                    endpoint_id bigint NOT NULL,
                    slot integer NOT NULL,
                    holder uuid NULL,
                    expires_at timestamptz NULL,
                    PRIMARY KEY (endpoint_id, slot)
                );
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE endpoint_call_slots;");
        }
    }
}
