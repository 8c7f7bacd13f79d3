import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { AKS_AAD_SERVER_APP_ID, kubeloginKubeconfig } from "../../components/platform/kubeconfig";

const deviceCode = `apiVersion: v1
kind: Config
users:
- name: clusterUser
  user:
    exec:
      command: kubelogin
      args: [get-token, --login, devicecode, --server-id, ${AKS_AAD_SERVER_APP_ID}]
`;

describe("kubelogin kubeconfig", () => {
    it("replaces the interactive device-code login with the chosen mode", () => {
        const user = parse(kubeloginKubeconfig(deviceCode, "workloadidentity")).users[0].user;
        assert.deepEqual(user.exec.args, [
            "get-token",
            "--login",
            "workloadidentity",
            "--server-id",
            AKS_AAD_SERVER_APP_ID,
        ]);
    });

    it("keeps the exec command", () => {
        assert.equal(
            parse(kubeloginKubeconfig(deviceCode, "azurecli")).users[0].user.exec.command,
            "kubelogin",
        );
    });
});
