/**
 * Regions with availability zones (Azure's published list). A node pool spreads over zones 1-3 where
 * its region has them; elsewhere zones must be omitted or AKS rejects the pool.
 */
const REGIONS_WITH_ZONES = new Set([
    "australiaeast",
    "brazilsouth",
    "canadacentral",
    "centralindia",
    "centralus",
    "eastasia",
    "eastus",
    "eastus2",
    "francecentral",
    "germanywestcentral",
    "israelcentral",
    "italynorth",
    "japaneast",
    "japanwest",
    "koreacentral",
    "mexicocentral",
    "newzealandnorth",
    "northeurope",
    "norwayeast",
    "polandcentral",
    "qatarcentral",
    "southafricanorth",
    "southcentralus",
    "southeastasia",
    "spaincentral",
    "swedencentral",
    "switzerlandnorth",
    "uaenorth",
    "uksouth",
    "westeurope",
    "westus2",
    "westus3",
]);

export function availabilityZones(location: string): string[] | undefined {
    return REGIONS_WITH_ZONES.has(location) ? ["1", "2", "3"] : undefined;
}
