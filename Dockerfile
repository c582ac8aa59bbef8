# One image for the dashboard and the workers; docker-compose.yml picks the command.
# TORCH_DEVICE=cuda builds with the CUDA TorchSharp runtime instead of the CPU one (the gpu profile's worker).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_DEVICE=cpu
WORKDIR /src
COPY . .
RUN dotnet publish SelfLong.Web/SelfLong.Web.csproj -c Release -p:TorchDevice=${TORCH_DEVICE} -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
COPY samples /samples
ENV ASPNETCORE_URLS=http://+:8080 \
    SelfLong__Samples=/samples
EXPOSE 8080
ENTRYPOINT ["dotnet"]
CMD ["SelfLong.Web.dll"]
